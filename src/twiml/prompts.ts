import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';

/** Everything the hotline says, per language. Mandarin is the default for a Chinese 400 number. */
export type PromptLanguage = 'zh-CN' | 'en-US';

export interface Prompts {
  /** Only with GREETING_BEFORE_RING: said before the first agent's phone rings. */
  greeting: string;
  /** The whisper on the agent's phone; as short as a person still understands, since the caller waits through it. */
  /** `flags`: the few words on the caller's record (domain/whisper-flags.ts), said before the "press 1". */
  whisper: (opts: { apologise: boolean; flags?: string }) => string;
  /** Said to the agent after their key press when the caller waited past the rule and the whisper had not asked yet. */
  apologyCue: string;
  /** Before the next agent's phone rings (the callback offer follows it when callbacks are on). */
  holdOn: string;
  /** Every agent who could take the call is busy: the waiting line, with the callers ahead. */
  allBusy: (ahead: number) => string;
  noAgent: string;
  thanks: string;
  systemError: string;
  transferringToDuty: string;
  /** The post-call rating (R6): asked when the agent hangs up first or hands the caller over. */
  ratingRequest: string;
  ratingRetry: string;
  ratingThanks: string;
  ratingGoodbye: string;
  /** A call from an internal number or an agent's own phone (R10): nobody is rung. */
  internalOnly: string;
  /** Said before the call rings anyone when agents have reported the number once. */
  callerWarning: string;
  /** RECORDING=on: added to the hold prompt and the waiting-line message (README "Recordings"). */
  recordingNotice: string;
  /** RECORDING=off: the warning without its word on recording. */
  callerWarningUnrecorded: string;
}

// The caller's wait (judged against the 10-second rule) runs through every prompt said before
// they are put through, the agent's whisper included: every character here costs about 0.2 s
// in Mandarin (see domain/speech.ts).
export const prompts: Record<PromptLanguage, Prompts> = {
  'zh-CN': {
    greeting: '您好，正在为您接通客服，请稍候。',
    whisper: ({ apologise, flags }) => (apologise ? '客户久等，请先致歉。' : '') + (flags ?? '') + '热线来电，按1接听。',
    apologyCue: '请先向客户致歉。',
    holdOn: '请稍候，',
    allBusy: (ahead) => (ahead > 0 ? `客服正忙，您前面还有${ahead}位客户，请稍候。` : '客服正忙，请稍候。'),
    noAgent: '非常抱歉，客服人员暂时无法接听。我们已记录您的来电，会尽快给您回电。再见。',
    thanks: '感谢您的来电，再见。',
    systemError: '非常抱歉，系统暂时出现故障。',
    transferringToDuty: '正在为您转接值班电话，请稍候。',
    ratingRequest: '感谢您的来电。请为本次服务评分：非常满意请按5，满意请按4，一般请按3，不满意请按2，非常不满意请按1。',
    ratingRetry: '抱歉，没有收到有效的按键。请按1到5之间的数字为本次服务评分。',
    ratingThanks: '感谢您的评价，再见。',
    ratingGoodbye: '感谢您的来电，再见。',
    internalOnly: '本热线仅供客户使用，内部电话请勿占线。再见。',
    callerWarning: '提示：本通话将被录音，请文明用语，骚扰来电将被屏蔽。',
    recordingNotice: '通话将被录音。',
    callerWarningUnrecorded: '提示：请文明用语，骚扰来电将被屏蔽。',
  },
  'en-US': {
    greeting: 'Connecting you to an agent, please hold.',
    whisper: ({ apologise, flags }) => (apologise ? 'Caller waited: apologise first. ' : '') + (flags ?? '') + 'Hotline call, press 1.',
    apologyCue: 'Please apologise for the wait.',
    holdOn: 'Please hold. ',
    allBusy: (ahead) => (ahead > 0 ? `All agents are busy. ${ahead} ${ahead === 1 ? 'caller is' : 'callers are'} ahead of you. Please hold. ` : 'All agents are busy. Please hold. '),
    noAgent: 'We are sorry, no agent can take your call right now. We have noted your call and will call you back soon. Goodbye.',
    thanks: 'Thank you for calling. Goodbye.',
    systemError: 'We are sorry, the hotline has a technical problem.',
    transferringToDuty: 'Connecting you to the duty line.',
    ratingRequest: 'Thank you for calling. Please rate our service from 1 to 5, where 5 is very satisfied and 1 is very dissatisfied.',
    ratingRetry: 'Sorry, we did not get a valid key. Please press a number from 1 to 5 to rate our service.',
    ratingThanks: 'Thank you for your rating. Goodbye.',
    ratingGoodbye: 'Thank you for calling. Goodbye.',
    internalOnly: 'This hotline is for customers. Please do not tie it up with internal calls. Goodbye.',
    callerWarning: 'Please be courteous. Harassing calls to this hotline will be blocked.',
    recordingNotice: 'Calls are recorded. ',
    callerWarningUnrecorded: 'Please be courteous. Harassing calls to this hotline will be blocked.',
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
