/** Small DOM helpers. Text from files is always set as text, never parsed as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page lacks #${id}`);
  return e as T;
}

export function button(text: string, onClick: () => void, className?: string, title?: string): HTMLButtonElement {
  const b = el('button', className, text);
  b.type = 'button';
  if (title) b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

let toastTimer: number | undefined;

export function toast(message: string, kind: 'info' | 'error' = 'info', ms = 5000): void {
  const t = byId('toast');
  t.textContent = message;
  t.className = `toast ${kind}`;
  t.hidden = false;
  if (toastTimer !== undefined) window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => {
    t.hidden = true;
  }, ms);
}

export function download(filename: string, text: string, type = 'application/json'): void {
  const blob = new Blob([text], { type });
  const url = URL.createObjectURL(blob);
  const a = el('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A show / hide toggle for a strip of the page (the legend, the shortcut footer): the
 * learner's choice is kept in localStorage under `key`; before any choice, the strip
 * starts collapsed on a short screen (a projector at 720 px needs the height for lanes).
 */
export function collapseToggle(strip: HTMLElement, key: string, what: string, onChange?: () => void): HTMLButtonElement {
  const stored = safeStorage()?.getItem(`zablab.${key}`);
  const collapsed = stored !== null && stored !== undefined ? stored === 'collapsed' : window.innerHeight < 820;
  const b = button('', () => {
    const now = !strip.classList.contains('collapsed');
    apply(now);
    safeStorage()?.setItem(`zablab.${key}`, now ? 'collapsed' : 'open');
    onChange?.();
  }, 'collapse-btn');
  const apply = (c: boolean) => {
    strip.classList.toggle('collapsed', c);
    b.textContent = c ? `▸ ${what}` : `▾ hide ${what}`;
    b.setAttribute('aria-expanded', String(!c));
    b.title = c ? `Show the ${what}` : `Hide the ${what}`;
  };
  apply(collapsed);
  // Until the user chooses, the strip follows the window: folded when it is short (a
  // projector, a laptop), so the diagram keeps its room after a resize as after a load.
  if (stored === null || stored === undefined) {
    window.addEventListener('resize', () => {
      if (safeStorage()?.getItem(`zablab.${key}`) != null) return;
      const short = window.innerHeight < 820;
      if (short !== strip.classList.contains('collapsed')) {
        apply(short);
        onChange?.();
      }
    });
  }
  return b;
}

function safeStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}
