/**
 * Renders a report model as one self-contained HTML page: inline CSS, inline SVG, no script, no
 * external reference of any kind, so it opens offline and can be mailed or attached to a ticket.
 *
 * Templating and escaping are Preact's (JSX rendered to a string by preact-render-to-string):
 * every value is a text node or an attribute value, escaped by the renderer; the only raw HTML
 * is the page's own static style sheet. Nothing from AWS, the firewalls or the configuration can
 * become markup.
 */
import type { ComponentChildren, JSX } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { Role } from '#shared/config/schema.js';
import { phaseLabel } from './build.js';
import type { Move, PhaseBar, ReportModel, SideName, Snapshot, Topology } from './model.js';
import { clock, duration, utc, zoned } from './time.js';
import { STYLE } from './style.js';

type Firewalls = Topology['firewalls'];

function sideText(fws: Firewalls, side: SideName | undefined): string {
  if (side === 'primary') return fws[0].name;
  if (side === 'secondary') return fws[1].name;
  return side ?? 'unknown';
}

function Time({ ms, tz }: { ms: number | undefined; tz: string | undefined }) {
  if (ms === undefined) return <span class="muted">-</span>;
  const local = zoned(ms, tz);
  return (
    <span class="time">
      <time datetime={new Date(ms).toISOString()}>{utc(ms)}</time>
      {local ? <span class="tz"> · {local}</span> : null}
    </span>
  );
}

// ---- topology -----------------------------------------------------------------------------

const FW_W = 290;
const GAP = 60;
const PAD = 20;
const LINE = 16;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function textWidth(s: string, px = 7.4): number {
  return s.length * px;
}

/** One snapshot of the pair: two AZs with their firewalls, EIPs and DNS above, route tables below. */
function TopologyDiagram({ model, snapshot, which }: { model: ReportModel; snapshot: Snapshot; which: 'before' | 'after' }) {
  const t = model.topology;
  const moved = new Set(model.moves.map((m) => m.key));
  const side = (key: string): SideName => snapshot.objects[key]?.side ?? 'unknown';
  // The firewall that carries the traffic in this snapshot: every route and EIP points at it.
  const carried = new Set(Object.entries(snapshot.objects).filter(([k]) => !k.startsWith('dns:')).map(([, o]) => o.side));
  const [only] = carried;
  const carrier = carried.size === 1 && (only === 'primary' || only === 'secondary') ? only : undefined;

  // Row layout: DNS, EIPs, AZs with firewalls, route tables.
  const eipW = Math.max(200, ...t.eips.map((e) => textWidth(e.purpose ?? '', 6.4) + 20));
  const dnsW = Math.max(230, ...t.dns.map((d) => textWidth(d.name) + 24));
  const tableW = (routes: number) => Math.max(240, routes * 132 + 12);
  const tablesW = t.routeTables.reduce((s, r) => s + tableW(r.routes.length) + 16, -16);
  const azW = FW_W + 40;
  const width = Math.max(2 * azW + GAP + 2 * PAD, t.eips.length * (eipW + 16) + 2 * PAD, t.dns.length * (dnsW + 16) + 2 * PAD, tablesW + 2 * PAD);

  const dnsY = PAD;
  const dnsH = t.dns.length > 0 ? 58 : 0;
  const eipY = dnsY + dnsH + (t.dns.length > 0 ? 40 : 0);
  const eipH = t.eips.length > 0 ? 70 : 0;
  const azY = eipY + eipH + 50;
  const fwLines = (i: 0 | 1) => 3 + t.firewalls[i].enis.reduce((s, e) => s + 1 + (e.addresses.length > 0 ? 1 : 0), 0);
  const fwH = Math.max(fwLines(0), fwLines(1)) * LINE + 22;
  const azH = fwH + 48;
  const rtY = azY + azH + 60;
  const rtH = 64;
  const height = rtY + (t.routeTables.length > 0 ? rtH : 0) + PAD + 16;

  const azX = (i: number) => width / 2 + (i === 0 ? -GAP / 2 - azW : GAP / 2);
  const fwBox = (i: number): Box => ({ x: azX(i) + 20, y: azY + 34, w: FW_W, h: fwH });
  const fwIndex = (s: SideName) => (s === 'primary' ? 0 : s === 'secondary' ? 1 : undefined);
  const spread = (n: number, w: number) => (i: number) => width / 2 - (n * (w + 16) - 16) / 2 + i * (w + 16);
  const eipX = spread(t.eips.length, eipW);
  const dnsX = spread(t.dns.length, dnsW);

  const lines: JSX.Element[] = [];
  const nodes: JSX.Element[] = [];

  // Firewalls in their AZs.
  t.firewalls.forEach((fw, i) => {
    const az = { x: azX(i), y: azY, w: azW, h: azH };
    const b = fwBox(i);
    const owner = carrier === fw.role;
    let y = b.y + 20;
    const rows: JSX.Element[] = [];
    rows.push(
      <text x={b.x + 10} y={y} class="t-title">
        {fw.name} <tspan class="t-muted">({fw.role})</tspan>
      </text>,
    );
    y += LINE;
    rows.push(<text x={b.x + 10} y={y} class="t-small">{fw.instanceId}</text>);
    y += LINE;
    rows.push(<text x={b.x + 10} y={y} class="t-small">mgmt {fw.managementHost}</text>);
    for (const e of fw.enis) {
      y += LINE;
      rows.push(
        <text x={b.x + 10} y={y} class="t-mono">
          {e.id} <tspan class="t-muted">{e.uses.join(', ')}</tspan>
        </text>,
      );
      if (e.addresses.length > 0) {
        y += LINE;
        rows.push(<text x={b.x + 22} y={y} class="t-mono t-muted">{e.addresses.join(', ')}</text>);
      }
    }
    nodes.push(
      <g data-node="az" data-az={fw.availabilityZone}>
        <rect x={az.x} y={az.y} width={az.w} height={az.h} rx="10" class="az" />
        <text x={az.x + 12} y={az.y + 20} class="t-az">Availability Zone {fw.availabilityZone}</text>
      </g>,
      <g data-node="firewall" data-key={`fw:${fw.role}`} data-role={fw.role} class={owner ? 'fw owner' : 'fw'}>
        <rect x={b.x} y={b.y} width={b.w} height={b.h} rx="6" class="fw-box" />
        {owner ? <text x={b.x + b.w - 10} y={b.y + 20} class="t-badge" text-anchor="end">ACTIVE</text> : null}
        {rows}
      </g>,
    );
  });

  const lineTo = (key: string, x1: number, y1: number, s: SideName, top: boolean, slot: number, slots: number) => {
    const i = fwIndex(s);
    if (i === undefined) return;
    const b = fwBox(i);
    const x2 = b.x + 20 + ((b.w - 40) * (slot + 1)) / (slots + 1);
    const y2 = top ? b.y : b.y + b.h;
    const my = (y1 + y2) / 2;
    lines.push(<path d={`M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`} class={moved.has(key) ? 'link moved' : 'link'} data-link={key} />);
  };
  const sideLabel = (s: SideName) => (s === 'primary' || s === 'secondary' ? null : <tspan class="t-warn"> {s.toUpperCase()}</tspan>);

  // DNS records.
  t.dns.forEach((d, i) => {
    const x = dnsX(i);
    const s = side(d.key);
    const isMoved = moved.has(d.key);
    const value = snapshot.objects[d.key]?.detail;
    nodes.push(
      <g data-node="dns" data-key={d.key} data-moved={isMoved ? 'true' : undefined} class={isMoved ? 'node moved' : 'node'}>
        <rect x={x} y={dnsY} width={dnsW} height={dnsH} rx="6" class="obj" />
        <text x={x + 10} y={dnsY + 18} class="t-title">{d.name}</text>
        <text x={x + 10} y={dnsY + 35} class="t-small">
          {d.type} · zone {d.hostedZoneId}
        </text>
        <text x={x + 10} y={dnsY + 51} class="t-small">
          {d.followsEip ? `follows ${d.followsEip}` : value ?? ''}
          {sideLabel(s)}
        </text>
      </g>,
    );
    const eipIndex = d.followsEip ? t.eips.findIndex((e) => e.allocationId === d.followsEip) : -1;
    if (eipIndex >= 0) {
      const x2 = eipX(eipIndex) + eipW / 2;
      lines.push(<path d={`M${x + dnsW / 2},${dnsY + dnsH} L${x2},${eipY}`} class="link follows" />);
    } else {
      lineTo(d.key, x + dnsW / 2, dnsY + dnsH, s, true, i, Math.max(1, t.dns.length));
    }
  });

  // Elastic IPs.
  t.eips.forEach((e, i) => {
    const x = eipX(i);
    const s = side(e.key);
    const isMoved = moved.has(e.key);
    const at = s === 'primary' || s === 'secondary' ? e.sides[s] : undefined;
    nodes.push(
      <g data-node="eip" data-key={e.key} data-moved={isMoved ? 'true' : undefined} class={isMoved ? 'node moved' : 'node'}>
        <rect x={x} y={eipY} width={eipW} height={eipH} rx="6" class="obj" />
        <text x={x + 10} y={eipY + 18} class="t-title">
          EIP {e.publicIp ?? ''}
          {sideLabel(s)}
        </text>
        <text x={x + 10} y={eipY + 35} class="t-small">{e.allocationId}</text>
        <text x={x + 10} y={eipY + 50} class="t-small t-muted">{e.purpose ?? ''}</text>
        <text x={x + 10} y={eipY + 65} class="t-mono">{at ? `→ ${at.privateIp} on ${at.eni}` : snapshot.objects[e.key]?.detail ?? ''}</text>
      </g>,
    );
    lineTo(e.key, x + eipW / 2, eipY + eipH, s, true, t.dns.length + i, t.dns.length + t.eips.length);
  });

  // Route tables, each route a pill with its own link.
  let rx = width / 2 - tablesW / 2;
  const totalRoutes = t.routeTables.reduce((s, r) => s + r.routes.length, 0);
  let slot = 0;
  for (const rt of t.routeTables) {
    const w = tableW(rt.routes.length);
    const anyMoved = rt.routes.some((r) => moved.has(r.key));
    nodes.push(
      <g data-node="route-table" data-key={`rtb:${rt.id}`} class={anyMoved ? 'node moved-within' : 'node'}>
        <rect x={rx} y={rtY} width={w} height={rtH} rx="6" class="obj" />
        <text x={rx + 10} y={rtY + rtH - 10} class="t-small">route table {rt.id}</text>
        {rt.routes.map((r, j) => {
          const px = rx + 8 + j * 132;
          const s = side(r.key);
          const isMoved = moved.has(r.key);
          return (
            <g data-node="route" data-key={r.key} data-moved={isMoved ? 'true' : undefined} class={isMoved ? 'route moved' : 'route'}>
              <rect x={px} y={rtY + 8} width="126" height="28" rx="14" class="pill" />
              <text x={px + 63} y={rtY + 27} class="t-mono" text-anchor="middle">
                {r.destination}
                {sideLabel(s)}
              </text>
            </g>
          );
        })}
      </g>,
    );
    rt.routes.forEach((r, j) => {
      lineTo(r.key, rx + 8 + j * 132 + 63, rtY + 8, side(r.key), false, slot++, totalRoutes);
    });
    rx += w + 16;
  }

  return (
    <figure class="diagram" data-diagram={which}>
      <figcaption>
        <strong>{which === 'before' ? 'Before' : 'After'}</strong> <span class="muted">· {snapshot.source}</span>
        {snapshot.at !== undefined ? (
          <span class="muted">
            {' '}
            · <Time ms={snapshot.at} tz={undefined} />
          </span>
        ) : null}
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label={`Topology ${which} the flow`} xmlns="http://www.w3.org/2000/svg">
        <text x={PAD} y={height - 8} class="t-small t-muted">
          Internet (EIPs, DNS) above · VPC route tables below · highlighted: moved by this flow
        </text>
        {lines}
        {nodes}
      </svg>
    </figure>
  );
}

// ---- timeline -----------------------------------------------------------------------------

function tickLabel(ms: number): string {
  if (ms === 0) return 'T+0';
  if (ms % 60_000 === 0) return `T+${ms / 60_000} min`;
  if (ms % 1000 === 0 && ms < 60_000) return `T+${ms / 1000} s`;
  return `T+${duration(ms)}`;
}

function Gantt({ model }: { model: ReportModel }) {
  const rows: { bar: PhaseBar; sub: boolean }[] = [];
  for (const p of model.phases) {
    rows.push({ bar: p, sub: false });
    for (const s of p.sub ?? []) rows.push({ bar: s, sub: true });
  }
  if (rows.length === 0) return <p class="muted">No phase was recorded.</p>;
  const t0 = Math.min(...rows.map((r) => r.bar.startedAt));
  const t1 = Math.max(...rows.map((r) => r.bar.endedAt ?? r.bar.startedAt), model.execution?.endedAt ?? 0);
  const span = Math.max(1000, t1 - t0);
  const labelW = 270;
  const chartW = 1080;
  const durW = 100;
  const rowH = 24;
  const top = 30;
  const width = labelW + chartW + durW;
  const height = top + rows.length * rowH + 30;
  const xOf = (ms: number) => labelW + ((ms - t0) / span) * chartW;
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000).find((s) => span / s <= 8) ?? 7_200_000;
  const ticks: number[] = [];
  for (let v = 0; v <= span; v += step) ticks.push(v);
  const klass = (b: PhaseBar, sub: boolean) => {
    const o = b.outcome ?? '';
    if (b.id === 'detect') return 'bar detect';
    if (/^failed|deadline/.test(o)) return 'bar failed';
    if (/skipped|none|noop/.test(o)) return 'bar skipped';
    return sub ? 'bar sub' : 'bar';
  };
  return (
    <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label="Phase timeline" class="gantt" xmlns="http://www.w3.org/2000/svg">
      {ticks.map((v) => (
        <g>
          <line x1={xOf(t0 + v)} x2={xOf(t0 + v)} y1={top - 6} y2={height - 24} class="grid" />
          <text x={xOf(t0 + v)} y={top - 12} class="t-small t-muted" text-anchor="middle">
            {tickLabel(v)}
          </text>
        </g>
      ))}
      <text x={labelW} y={height - 8} class="t-small t-muted">
        {clock(t0)} UTC
      </text>
      <text x={labelW + chartW} y={height - 8} class="t-small t-muted" text-anchor="end">
        {clock(t0 + span)} UTC
      </text>
      {rows.map(({ bar, sub }, i) => {
        const y = top + i * rowH;
        const x = xOf(bar.startedAt);
        const end = bar.endedAt ?? t1;
        const w = Math.max(2, xOf(end) - x);
        const title = `${bar.label}: ${duration(bar.endedAt === undefined ? undefined : bar.endedAt - bar.startedAt)}${bar.outcome ? ` (${bar.outcome})` : ''}`;
        return (
          <g data-phase={sub ? undefined : bar.id} data-subphase={sub ? bar.id : undefined} class={sub ? 'row sub' : 'row'}>
            <title>{title}</title>
            <text x={sub ? 24 : 8} y={y + 16} class={sub ? 't-small' : 't-label'}>
              {bar.label.length > 38 ? `${bar.label.slice(0, 37)}…` : bar.label}
            </text>
            <rect x={x} y={y + (sub ? 7 : 4)} width={w} height={sub ? 10 : 16} rx="3" class={klass(bar, sub)} />
            <text x={labelW + chartW + 8} y={y + 16} class="t-small">
              {duration(bar.endedAt === undefined ? undefined : bar.endedAt - bar.startedAt)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

// ---- page ---------------------------------------------------------------------------------

function Section({ title, id, children }: { title: string; id: string; children: ComponentChildren }) {
  return (
    <section id={id}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

function MovesTable({ model }: { model: ReportModel }) {
  const fws = model.topology.firewalls;
  if (model.moves.length === 0) return <p class="muted">Nothing moved.</p>;
  const nameOf = (m: Move) => {
    if (m.kind === 'eip') return model.topology.eips.find((e) => e.key === m.key)?.purpose ?? '';
    return '';
  };
  return (
    <table class="moves">
      <thead>
        <tr>
          <th>Object</th>
          <th>From</th>
          <th>To</th>
          <th>Change</th>
          <th>By</th>
        </tr>
      </thead>
      <tbody>
        {model.moves.map((m) => (
          <tr data-move={m.key} data-by={m.by} data-from={m.from} data-to={m.to}>
            <td>
              {m.object}
              {nameOf(m) ? <div class="muted small">{nameOf(m)}</div> : null}
            </td>
            <td>{sideText(fws, m.from)}</td>
            <td>
              <strong>{sideText(fws, m.to)}</strong>
            </td>
            <td class="mono small">{m.detail}</td>
            <td class="small">{m.by === 'abort' && model.from !== undefined && m.to === model.from ? 'abort (moved back)' : m.by}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Badge({ text, tone }: { text: string; tone: 'ok' | 'bad' | 'warn' | 'info' }) {
  return <span class={`badge ${tone}`}>{text}</span>;
}

function outcomeTone(outcome: string): 'ok' | 'bad' | 'warn' | 'info' {
  if (outcome === 'succeeded') return 'ok';
  if (outcome === 'failed') return 'bad';
  if (outcome === 'noop' || outcome === 'dry-run' || outcome === 'skipped-locked') return 'info';
  return 'warn';
}

const KIND_TEXT: Readonly<Record<ReportModel['kind'], string>> = {
  rehearsal: 'Rehearsal on the local simulator',
  flow: 'Flow execution',
  drill: 'Standby drill',
};

function Page({ model }: { model: ReportModel }) {
  const tz = model.timeZone;
  const fws = model.topology.firewalls;
  const x = model.execution;
  const direction = model.from && model.target ? `${sideText(fws, model.from)} → ${sideText(fws, model.target)}` : undefined;
  const verdictTone = model.verdict.status === 'consistent' ? 'ok' : model.verdict.status === 'inconsistent' ? 'bad' : 'warn';
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:" />
        <title>{model.title}</title>
        <style dangerouslySetInnerHTML={{ __html: STYLE }} />
      </head>
      <body>
        <header>
          <div class="kicker">
            pan-failover · {KIND_TEXT[model.kind]} · pair <strong>{model.pair}</strong>
            {model.topology.description ? <span class="muted"> · {model.topology.description}</span> : null}
          </div>
          <h1>
            {model.action.toUpperCase()} {direction ? <span>{direction}</span> : null}
          </h1>
          <div class="badges">
            <Badge text={model.outcome.toUpperCase()} tone={outcomeTone(model.outcome)} />
            <Badge text={`final state: ${model.verdict.status.toUpperCase()}`} tone={verdictTone} />
            <Badge text={`${model.topology.standbyMode} standby`} tone="info" />
          </div>
          <p class="summary">{model.summary}</p>
          <dl class="facts">
            {x ? (
              <>
                <dt>Execution</dt>
                <dd class="mono">
                  {x.name} <span class="muted">({x.status})</span>
                  {x.arn ? <div class="small muted">{x.arn}</div> : null}
                </dd>
                <dt>Started</dt>
                <dd>
                  <Time ms={x.startedAt} tz={tz} />
                </dd>
                <dt>Ended</dt>
                <dd>
                  <Time ms={x.endedAt} tz={tz} /> {x.endedAt !== undefined ? <span class="muted">({duration(x.endedAt - x.startedAt)})</span> : null}
                </dd>
              </>
            ) : null}
            {model.facts.map((f) => (
              <>
                <dt>{f.label}</dt>
                <dd>{f.value}</dd>
              </>
            ))}
          </dl>
        </header>

        <Section title="Topology: before and after" id="topology">
          <div class="diagrams">
            <TopologyDiagram model={model} snapshot={model.before} which="before" />
            <TopologyDiagram model={model} snapshot={model.after} which="after" />
          </div>
        </Section>

        <Section title="Timeline" id="timeline">
          <Gantt model={model} />
          <table class="phases">
            <thead>
              <tr>
                <th>Phase</th>
                <th>Started</th>
                <th>Duration</th>
                <th>Outcome</th>
              </tr>
            </thead>
            <tbody>
              {model.phases.map((p) => (
                <>
                  <tr>
                    <td>{p.label}</td>
                    <td>
                      <Time ms={p.startedAt} tz={tz} />
                    </td>
                    <td>{duration(p.endedAt === undefined ? undefined : p.endedAt - p.startedAt)}</td>
                    <td>{p.outcome ?? ''}</td>
                  </tr>
                  {(p.sub ?? []).map((s) => (
                    <tr class="sub">
                      <td>↳ {s.label}</td>
                      <td>
                        <Time ms={s.startedAt} tz={tz} />
                      </td>
                      <td>{duration(s.endedAt === undefined ? undefined : s.endedAt - s.startedAt)}</td>
                      <td />
                    </tr>
                  ))}
                </>
              ))}
            </tbody>
          </table>
          {model.phases.some((p) => p.sub) ? <p class="small muted">Boot sub-phases are what the flow's readiness checks saw, one check every poll interval: each begins at the first check that saw it.</p> : null}
        </Section>

        <Section title="What moved" id="moves">
          <MovesTable model={model} />
        </Section>

        <Section title="Why the flow started" id="trigger">
          <dl class="facts">
            <dt>Source</dt>
            <dd>{model.trigger.source}</dd>
            <dt>Reason</dt>
            <dd>{model.trigger.reason}</dd>
            {model.trigger.requestedBy ? (
              <>
                <dt>Requested by</dt>
                <dd>{model.trigger.requestedBy}</dd>
              </>
            ) : null}
            <dt>Incident began</dt>
            <dd>
              <Time ms={model.trigger.incidentAt} tz={tz} />
            </dd>
          </dl>
          {model.trigger.rounds.length > 0 ? (
            <table class="rounds">
              <thead>
                <tr>
                  <th>Probe round</th>
                  <th>{fws[0].name}</th>
                  <th>{fws[1].name}</th>
                  {model.trigger.rounds.some((r) => r.failed) ? <th>What failed</th> : null}
                  <th>Decision</th>
                </tr>
              </thead>
              <tbody>
                {model.trigger.rounds.map((r) => (
                  <tr data-round={r.action} data-at={String(r.at)}>
                    <td>
                      <Time ms={r.at} tz={tz} />
                    </td>
                    <td class={r.primary === 'healthy' ? '' : 'warn'}>{r.primary}</td>
                    <td class={r.secondary === 'healthy' ? '' : 'muted'}>{r.secondary}</td>
                    {model.trigger.rounds.some((x) => x.failed) ? <td class="small">{r.failed ?? ''}</td> : null}
                    <td>
                      <strong>{r.action}</strong> <span class="small">{r.reason}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {model.trigger.roundsNote ? <p class="small muted">{model.trigger.roundsNote}</p> : null}
        </Section>

        <Section title="Errors and notes" id="notes">
          {model.errors.length > 0 ? (
            <ul class="errors">
              {model.errors.map((e) => (
                <li>
                  <strong>{e.name}</strong>
                  {e.phase ? ` in phase ${phaseLabel(e.phase)}` : ''}: {e.message}
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">No error.</p>
          )}
          <ul class="notes">
            {model.notes.map((n) => (
              <li>{n}</li>
            ))}
          </ul>
        </Section>

        <Section title="Final state" id="verdict">
          <p class={`verdict ${verdictTone}`} data-verdict={model.verdict.status}>
            <strong>{model.verdict.status.toUpperCase()}</strong>: {model.verdict.detail}
          </p>
          {model.verdict.problems.length > 0 ? (
            <ul class="errors">
              {model.verdict.problems.map((p) => (
                <li>{p}</li>
              ))}
            </ul>
          ) : null}
          <table class="objects">
            <thead>
              <tr>
                <th>Object</th>
                <th>Before</th>
                <th>After</th>
              </tr>
            </thead>
            <tbody>
              {Object.keys(model.after.objects).map((key) => (
                <tr class={model.moves.some((m) => m.key === key) ? 'moved' : ''}>
                  <td class="mono small">{key.replace(/^(\w+):/, '$1 ').replace(/:/g, ' ')}</td>
                  <td>
                    {sideText(fws, model.before.objects[key]?.side)} <span class="muted small">{model.before.objects[key]?.detail ?? ''}</span>
                  </td>
                  <td>
                    {sideText(fws, model.after.objects[key]?.side)} <span class="muted small">{model.after.objects[key]?.detail ?? ''}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>

        <footer class="small muted">
          Generated <Time ms={model.generatedAt} tz={tz} /> by pan-failover. Times in UTC{tz ? ` and ${tz}` : ''}. This page is self-contained: no script, no
          external resource.
        </footer>
      </body>
    </html>
  );
}

export function renderReport(model: ReportModel): string {
  return `<!DOCTYPE html>\n${renderToString(<Page model={model} />)}\n`;
}

/** Which firewall a role is, for callers that print. */
export function roleName(model: ReportModel, role: Role): string {
  return sideText(model.topology.firewalls, role);
}
