/**
 * The state panel: one card per server at the cursor — role, epochs (or ballot), vote,
 * the last logged / processed / committed position, the tail of its log (dashed: only
 * in memory; solid: durable; filled: committed) and its data tree. Whatever changed at
 * the current event is highlighted, so stepping shows cause and effect.
 */
import type { TraceModel } from './model.js';
import { isCommitted, txnText, type NodeStates, type NodeView, type LogEntry } from './nodestate.js';
import { ROLE_COLOR, formatField, formatZxid, roleFamily, serverName } from './format.js';

/** Fields shown in this order (others follow, alphabetically). */
const ORDER = ['acceptedEpoch', 'currentEpoch', 'epoch', 'ballot', 'promised', 'leader', 'vote', 'zabState', 'phase', 'syncMode', 'established', 'lastLoggedZxid', 'lastProcessedZxid', 'lastCommittedZxid'];
const HIDDEN = new Set(['role', 'status']);
/** What a narrow (side-by-side) card shows. */
const COMPACT_FIELDS = new Set(['acceptedEpoch', 'currentEpoch', 'ballot', 'leader', 'vote', 'zabState']);
const LABELS: Record<string, string> = {
  acceptedEpoch: 'acceptedEpoch',
  currentEpoch: 'currentEpoch',
  leader: 'leader',
  vote: 'vote',
  syncMode: 'last sync',
  established: 'leads epoch',
  promised: 'promised',
  ballot: 'ballot',
  lastLoggedZxid: 'last logged',
  lastProcessedZxid: 'last processed',
  lastCommittedZxid: 'last committed',
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

interface Section {
  sig: string;
  /** Built on demand: an unchanged section is never rebuilt. */
  el?: HTMLElement;
  build?: () => HTMLElement;
}

function elementOf(section: Section): HTMLElement {
  if (!section.el) section.el = section.build!();
  return section.el;
}

/** A card's DOM, kept between renders: a section is rebuilt only when its signature changes. */
interface CardDom {
  el: HTMLElement;
  sections: Section[];
  className: string;
}

export class StatePanel {
  readonly root: HTMLDivElement;
  showTrees = true;
  private cards: CardDom[] = [];
  private modelKey: unknown;

  constructor(container: HTMLElement) {
    this.root = el('div', 'state-panel');
    this.root.setAttribute('aria-live', 'polite');
    container.append(this.root);
  }

  /**
   * Renders the cards for event seq. `lite` (while the scrubber is dragged) refreshes
   * only each card's head and fields (role, epochs, vote, leader); the log, positions
   * and tree keep their last content, marked stale, until a full render.
   */
  render(model: TraceModel | undefined, states: NodeStates | undefined, seq: number, compact = false, lite = false): void {
    if (!model || !states) {
      this.cards = [];
      this.modelKey = undefined;
      this.root.replaceChildren(el('p', 'muted', 'Run a scenario or open a trace to see the servers.'));
      return;
    }
    if (lite && (this.modelKey !== states || this.cards.length !== model.servers)) lite = false;
    if (this.modelKey !== states || this.cards.length !== model.servers) {
      this.modelKey = states;
      this.cards = [];
      this.root.replaceChildren();
    }
    for (let node = 0; node < model.servers; node++) {
      const built = this.card(model, states, states.view(node, seq), seq, compact, lite);
      const old = this.cards[node];
      if (!old) {
        const dom: CardDom = { el: built.card, sections: built.sections, className: built.card.className };
        dom.el.replaceChildren(...built.sections.map(elementOf));
        this.cards[node] = dom;
        this.root.append(dom.el);
        continue;
      }
      // Same card element; swap only what changed.
      if (old.className !== built.card.className) {
        old.el.className = built.card.className;
        old.className = built.card.className;
      }
      for (const name of ['role', 'node'] as const) if (old.el.dataset[name] !== built.card.dataset[name]) old.el.dataset[name] = built.card.dataset[name];
      const role = built.card.style.getPropertyValue('--role');
      if (old.el.style.getPropertyValue('--role') !== role) old.el.style.setProperty('--role', role);
      const next: Section[] = [];
      built.sections.forEach((section, i) => {
        const prev = old.sections[i];
        if (prev && prev.sig === section.sig) next.push(prev);
        else next.push(section);
      });
      // Lite: the sections not rebuilt keep their place, marked stale.
      for (let i = built.sections.length; i < old.sections.length; i++) {
        const prev = old.sections[i];
        elementOf(prev).classList.add('stale');
        prev.sig = `stale:${prev.sig}`;
        next.push(prev);
      }
      if (next.length !== old.sections.length || next.some((x, i) => x !== old.sections[i])) {
        old.el.replaceChildren(...next.map(elementOf));
        old.sections = next;
      }
    }
  }

  private card(model: TraceModel, states: NodeStates, view: NodeView, seq: number, compact: boolean, lite = false): { card: HTMLElement; sections: Section[] } {
    const f = view.fields;
    const role = typeof f.role === 'string' ? f.role : '—';
    const status = String(f.status ?? 'up');
    const fam = status === 'down' ? 'down' : roleFamily(role);
    const card = el('section', `server-card fam-${fam}${states.touched(view, seq) ? ' touched' : ''}`);
    card.dataset.node = String(view.node);
    card.dataset.role = status === 'down' ? 'DOWN' : role;
    card.style.setProperty('--role', ROLE_COLOR[fam]);
    const sections: Section[] = [];
    const changed = [...view.changed].join(',');

    // Head and fields
    const headSig = `${compact}|${role}|${status}|${changed}|${JSON.stringify(f)}`;
    const top = el('div', 'card-top');
    const head = el('header', 'card-head');
    head.append(el('span', 'srv', serverName(view.node)));
    const badge = el('span', `role-badge${view.changed.has('role') ? ' chg' : ''}`, status === 'down' ? 'DOWN' : role);
    if (role === '—') badge.title = 'no state recorded yet at this point of the trace';
    head.append(badge);
    if (status !== 'up') head.append(el('span', `status-badge ${status}${view.changed.has('status') ? ' chg' : ''}`, status === 'down' ? 'crashed' : status));
    top.append(head);
    const dl = el('dl', 'fields');
    const keys = Object.keys(f).filter((k) => !HIDDEN.has(k) && (!compact || COMPACT_FIELDS.has(k)));
    keys.sort((a, b) => {
      const ia = ORDER.indexOf(a);
      const ib = ORDER.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
    });
    for (const key of keys) {
      const value = f[key];
      let text: string;
      if (key === 'vote' && typeof value === 'object' && value !== null) {
        const v = value as Record<string, unknown>;
        text = compact ? `→ ${serverName(Number(v.leader))}` : `→ ${serverName(Number(v.leader))} (e${String(v.epoch)}, ${formatZxid(v.zxid, model.counterBits)}${v.round !== undefined ? `, round ${String(v.round)}` : ''})`;
      } else if (key === 'leader') {
        text = value === null || value === undefined ? 'none' : serverName(Number(value));
      } else {
        text = formatField(key, value, model.counterBits);
      }
      const dt = el('dt', view.changed.has(key) ? 'chg' : undefined, compact && key === 'acceptedEpoch' ? 'accepted' : compact && key === 'currentEpoch' ? 'current' : compact && key === 'zabState' ? 'phase' : LABELS[key] ?? key);
      const dd = el('dd', view.changed.has(key) ? 'chg' : undefined, text);
      if (status === 'down') {
        dt.classList.add('on-disk');
        dd.classList.add('on-disk');
      }
      dl.append(dt, dd);
    }
    top.append(dl);
    sections.push({ sig: headSig, el: top });
    if (lite) return { card, sections };

    // Positions in the log
    const tree = status === 'down' || compact ? undefined : states.treeAt(view.node, seq);
    const hot = (entry: LogEntry | undefined) => entry !== undefined && (entry.createdSeq === seq || entry.durableSeq === seq || entry.committed.includes(seq));
    const processedText = tree ? (tree.lastProcessedZxid > 0 ? (model.protocol === 'zab' ? formatZxid(tree.lastProcessedZxid, model.counterBits) : `slot ${tree.lastProcessedZxid}`) : '–') : undefined;
    const posSig = `${view.lastLogged?.id}|${hot(view.lastLogged)}|${processedText}|${view.lastCommitted?.id}|${hot(view.lastCommitted)}|${view.memoryOnly}`;
    const pos = el('div', 'positions');
    const chip = (label: string, entry: LogEntry | undefined, cls: string, extra?: string) => {
      const c = el('span', `pos ${cls}`);
      c.append(el('span', 'pos-k', label), el('span', 'pos-v', extra ?? entry?.label ?? '–'));
      if (hot(entry)) c.classList.add('chg');
      pos.append(c);
    };
    chip('last logged', view.lastLogged, 'durable');
    if (processedText !== undefined) chip(model.protocol === 'zab' ? 'processed' : 'applied', undefined, 'processed', processedText);
    chip('committed', view.lastCommitted, 'committed');
    if (view.memoryOnly > 0) pos.append(el('span', 'pos memory', `${view.memoryOnly} only in memory`));
    sections.push({ sig: posSig, el: pos });

    // Log tail
    if (!compact) {
      const parts: string[] = [String(view.logTotal)];
      const log = el('div', 'log');
      log.setAttribute('aria-label', `log of ${serverName(view.node)}`);
      if (view.logTotal > view.log.length) log.append(el('span', 'log-more', `… ${view.logTotal - view.log.length}`));
      for (const entry of view.log) {
        const committed = isCommitted(entry, seq);
        const durable = entry.durableSeq <= seq;
        const isHot = hot(entry);
        parts.push(`${entry.id}${committed ? 'c' : ''}${durable ? 'd' : ''}${isHot ? 'h' : ''}`);
        const e = el('span', `entry${committed ? ' committed' : ''}${durable ? ' durable' : ' memory'}`);
        if (isHot) e.classList.add('chg');
        e.textContent = entry.label.replace(/^slot /, '#');
        e.title = `${entry.label}: ${(entry.txn !== undefined ? txnText(entry.txn) : entry.text) || '(no txn)'}\n${committed ? 'committed' : 'not committed'} · ${durable ? 'on disk' : 'only in memory'}`;
        log.append(e);
      }
      for (const entry of view.removed) {
        parts.push(`x${entry.id}`);
        const e = el('span', 'entry removed chg', entry.label.replace(/^slot /, '#'));
        e.title = `${entry.label} ${entry.endReason ?? 'removed'}`;
        log.append(e);
      }
      if (view.logTotal === 0 && view.removed.length === 0) log.append(el('span', 'muted', 'empty log'));
      const box = el('div', 'log-box');
      box.append(log);
      const removedWhy = view.removed[0]?.endReason;
      if (removedWhy) box.append(el('div', 'removed-why', `✕ ${view.removed.length} entr${view.removed.length === 1 ? 'y' : 'ies'} ${removedWhy}`));
      sections.push({ sig: parts.join(','), el: box });
    }

    // Data tree
    if (this.showTrees && !compact) {
      const treeSig = status === 'down' ? 'down' : tree ? `${tree.digest()}|${tree.lastProcessedZxid}|${tree.nodeCount}` : 'none';
      sections.push({ sig: treeSig, build: () => this.treeBox(tree, status) });
    }
    return { card, sections };
  }

  private treeBox(tree: ReturnType<NodeStates['treeAt']>, status: string): HTMLElement {
    {
      const treeBox = el('div', 'tree');
      if (!tree) {
        treeBox.append(el('span', 'muted', status === 'down' ? 'tree lost (in memory); rebuilt from the log on restart' : 'empty tree'));
      } else {
        const json = tree.toJSON();
        const nodes = json.nodes.filter((n) => n.path !== '/');
        for (const n of nodes.slice(0, 8)) {
          const row = el('span', 'znode');
          row.append(el('span', 'zpath', n.path), el('span', 'zeq', '='), el('span', 'zdata', n.data === '' ? '∅' : JSON.stringify(n.data)), el('span', 'zver', `v${n.stat.version}`));
          row.title = `${n.path} = ${JSON.stringify(n.data)} (version ${n.stat.version}, created at ${n.stat.czxid}, modified at ${n.stat.mzxid})`;
          treeBox.append(row);
        }
        if (nodes.length > 8) treeBox.append(el('span', 'muted', `… ${nodes.length - 8} more znodes`));
        if (nodes.length === 0) treeBox.append(el('span', 'muted', 'no znodes yet'));
        treeBox.append(el('span', 'sessions', `${json.sessions.length} session${json.sessions.length === 1 ? '' : 's'}`));
      }
      return treeBox;
    }
  }
}
