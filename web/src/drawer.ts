/**
 * The linearizability drawer's height: dragged by its handle (or ↑ ↓ on the focused
 * handle), between a strip and most of the stage; the diagram above gives up the room.
 */
const MIN_PX = 90;
const STEP_PX = 40;

export function makeResizable(drawer: HTMLElement, handle: HTMLElement, stage: HTMLElement): void {
  const limit = (px: number) => Math.round(Math.min(Math.max(MIN_PX, px), stage.clientHeight * 0.85));
  const setHeight = (px: number) => {
    const h = limit(px);
    drawer.style.height = `${h}px`;
    drawer.style.maxHeight = 'none';
    // The reader chose a height: it holds, and the lanes give way (style.css).
    drawer.classList.add('sized');
    handle.setAttribute('aria-valuenow', String(h));
  };
  handle.addEventListener('pointerdown', (down) => {
    down.preventDefault();
    const startY = down.clientY;
    const startH = drawer.getBoundingClientRect().height;
    handle.setPointerCapture(down.pointerId);
    const move = (e: PointerEvent) => setHeight(startH + (startY - e.clientY));
    const up = () => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
      handle.removeEventListener('pointercancel', up);
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
    handle.addEventListener('pointercancel', up);
  });
  handle.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
    e.preventDefault();
    e.stopPropagation();
    setHeight(drawer.getBoundingClientRect().height + (e.key === 'ArrowUp' ? STEP_PX : -STEP_PX));
  });
}
