/** A streaming Server-Sent Events parser (the WHATWG rules), fed text as it arrives. No DOM. */
export interface SseFrame {
  /** The frame's `id:` (the stream's position), when it had one. */
  id: string | null;
  /** `event:`; empty for a frame that only moved the position (an `id:` alone). */
  event: string;
  data: string;
}

export function createSseParser(onFrame: (frame: SseFrame) => void, onRetry: (ms: number) => void = () => {}) {
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | null = null;
  let sawField = false;

  const dispatch = () => {
    if (sawField && (data.length || id !== null)) onFrame({ id, event: data.length ? event || 'message' : '', data: data.join('\n') });
    data = [];
    event = '';
    id = null;
    sawField = false;
  };

  const line = (text: string) => {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    sawField = true;
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) onRetry(Number(value));
  };

  return {
    push(chunk: string) {
      buffer += chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i];
        if (c !== '\n' && c !== '\r') continue;
        // A CR at the very end may be the first half of CRLF: wait for the next chunk.
        if (c === '\r' && i === buffer.length - 1) break;
        line(buffer.slice(start, i));
        if (c === '\r' && buffer[i + 1] === '\n') i++;
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
  };
}
