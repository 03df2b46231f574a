/**
 * Card details are Markdown (CDS Hooks `detail`): readable in an EHR, noisy in a terminal. This
 * turns the subset the renderer writes (src/cards) into plain text: bold and emphasis dropped,
 * `- ` bullets as `•`, links as `text <url>`, headings as their text, and backslash escapes of
 * record text (`Calcium \[Mass/volume\]`) shown as the characters they stand for.
 */

const ESCAPABLE = /\\([\\`*_{}[\]()#+\-.!|<>~])/g;
// Private-use characters hold escaped characters while the markup around them is removed.
const HOLD_BASE = 0xe000;

export function markdownToText(markdown: string): string {
  const held: string[] = [];
  const hold = (_m: string, c: string) => {
    held.push(c);
    return String.fromCharCode(HOLD_BASE + held.length - 1);
  };
  const lines = markdown.replace(ESCAPABLE, hold).split('\n');
  const out = lines.map((line) => {
    let l = line;
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(l);
    if (heading) l = heading[1] ?? '';
    l = l.replace(/^(\s*)[-*+]\s+/, '$1• ');
    l = l.replace(/\[([^\]]*)\]\(([^)\s]+)\)/g, (_m, text: string, url: string) =>
      text === url ? `<${url}>` : `${text} <${url}>`,
    );
    l = l.replace(/\*\*(.+?)\*\*|__(.+?)__/g, (_m, a?: string, b?: string) => a ?? b ?? '');
    l = l.replace(/(^|[\s(])[*_](\S(?:.*?\S)?)[*_](?=[\s).,;:!?]|$)/g, '$1$2');
    l = l.replace(/`([^`]*)`/g, '$1');
    return l;
  });
  return out.join('\n').replace(/[\ue000-\uf8ff]/g, (ch) => held[ch.charCodeAt(0) - HOLD_BASE] ?? ch);
}
