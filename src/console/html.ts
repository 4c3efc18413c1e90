import { escapeHtml } from '../html';

/** Markup that is already safe: the only way a value reaches a page unescaped. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = SafeHtml | string | number | boolean | null | undefined | readonly Part[];

const render = (v: Part): string => {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(v);
};

/** A template tag that escapes every interpolated value (arrays are joined, SafeHtml kept). */
export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

/** JSON for a <script type="application/json"> block: "<" escaped so no text can close the tag. */
export const jsonBlock = (id: string, data: unknown) =>
  new SafeHtml(`<script type="application/json" id="${escapeHtml(id)}">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>`);
