import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';

/** Everything the hotline says, per language. Mandarin is the default for a Chinese 400 number. */
export type PromptLanguage = 'zh-CN' | 'en-US';

export interface Prompts {
  greeting: string;
  whisper: (opts: { apologise: boolean; thresholdSeconds: number }) => string;
  noAgent: string;
  thanks: string;
  systemError: string;
  transferringToDuty: string;
}

export const prompts: Record<PromptLanguage, Prompts> = {
  'zh-CN': {
    greeting: '您好，欢迎致电客服热线，正在为您接通客服人员，请稍候。',
    whisper: ({ apologise, thresholdSeconds }) =>
      '这是客服热线来电。' + (apologise ? `客户已等待超过${thresholdSeconds}秒，接通后请先向客户致歉。` : '') + '接听请按1。',
    noAgent: '非常抱歉，客服人员暂时无法接听。我们已记录您的来电，会尽快给您回电。再见。',
    thanks: '感谢您的来电，再见。',
    systemError: '非常抱歉，系统暂时出现故障。',
    transferringToDuty: '正在为您转接值班电话，请稍候。',
  },
  'en-US': {
    greeting: 'Welcome to the customer hotline. Connecting you to an agent, please hold.',
    whisper: ({ apologise, thresholdSeconds }) =>
      'Hotline call. ' + (apologise ? `The caller has waited more than ${thresholdSeconds} seconds; please apologise for the wait. ` : '') + 'Press 1 to accept.',
    noAgent: 'We are sorry, no agent can take your call right now. We have noted your call and will call you back soon. Goodbye.',
    thanks: 'Thank you for calling. Goodbye.',
    systemError: 'We are sorry, the hotline has a technical problem.',
    transferringToDuty: 'Connecting you to the duty line.',
  },
};

const voices: Record<PromptLanguage, { voice: string; language: string }> = {
  'zh-CN': { voice: 'Polly.Zhiyu', language: 'cmn-CN' },
  'en-US': { voice: 'Polly.Joanna', language: 'en-US' },
};

/** The <Say> attributes for a language, with an optional voice override (PROMPT_VOICE). */
export function sayAttributes(language: PromptLanguage, voiceOverride?: string): VoiceResponse.SayAttributes {
  const v = voices[language];
  return { voice: (voiceOverride ?? v.voice) as VoiceResponse.SayAttributes['voice'], language: v.language as VoiceResponse.SayAttributes['language'] };
}
