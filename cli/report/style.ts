/** The report's style sheet: light, dark (the system's setting) and print. Static text only. */
export const STYLE = `
:root {
  --bg: #ffffff; --fg: #1d2430; --muted: #5f6b7a; --line: #c9d1db; --panel: #f5f7fa;
  --az: #eef3f8; --az-line: #9fb3c8; --fw: #ffffff; --fw-line: #4a5d73; --owner: #1a7f37;
  --obj: #ffffff; --link: #7d8a99; --moved: #d9480f; --moved-bg: #fff1e6;
  --bar: #3b6fb6; --bar-sub: #8fb3e3; --bar-detect: #c98a00; --bar-failed: #c92a2a; --bar-skipped: #adb5bd;
  --ok: #1a7f37; --bad: #c92a2a; --warn: #b35c00; --info: #3b6fb6;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14181f; --fg: #e3e8ef; --muted: #98a4b3; --line: #354152; --panel: #1b212a;
    --az: #1a2230; --az-line: #3f5670; --fw: #202836; --fw-line: #8aa2bd; --owner: #4cc26a;
    --obj: #1d2430; --link: #7c8896; --moved: #ff8a4c; --moved-bg: #3a2418;
    --bar: #5b8fd9; --bar-sub: #3d5f8f; --bar-detect: #e0a526; --bar-failed: #ff6b6b; --bar-skipped: #5c6672;
    --ok: #4cc26a; --bad: #ff6b6b; --warn: #f0a040; --info: #6fa0e8;
  }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1680px; padding: 24px 28px 40px; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans JP", sans-serif; }
h1 { font-size: 26px; margin: 4px 0 8px; }
h1 span { color: var(--muted); font-weight: 500; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.kicker { color: var(--muted); }
.summary { font-size: 15px; margin: 8px 0 12px; }
.muted, .t-muted { color: var(--muted); fill: var(--muted); }
.small { font-size: 12px; }
.mono, .t-mono { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
.badges { display: flex; gap: 8px; flex-wrap: wrap; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 12px; border: 1px solid currentColor; }
.badge.ok { color: var(--ok); } .badge.bad { color: var(--bad); } .badge.warn { color: var(--warn); } .badge.info { color: var(--info); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.time .tz { color: var(--muted); }
.diagrams { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
@media (max-width: 1200px) { .diagrams { grid-template-columns: 1fr; } }
figure.diagram { margin: 0; padding: 8px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
figcaption { margin: 2px 4px 6px; }
svg text { fill: var(--fg); font-size: 13px; font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", sans-serif; }
svg .t-title { font-weight: 600; font-size: 14px; }
svg .t-small { font-size: 12px; }
svg .t-mono { font-size: 12px; font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
svg .t-az { font-size: 12px; fill: var(--muted); font-weight: 600; letter-spacing: .02em; }
svg .t-label { font-size: 12px; }
svg .t-badge { font-size: 10px; font-weight: 700; fill: var(--owner); letter-spacing: .05em; }
svg .t-warn { fill: var(--bad); font-weight: 700; }
.az { fill: var(--az); stroke: var(--az-line); stroke-dasharray: 6 4; }
.fw-box { fill: var(--fw); stroke: var(--fw-line); stroke-width: 1.5; }
.fw.owner .fw-box { stroke: var(--owner); stroke-width: 3; }
.obj { fill: var(--obj); stroke: var(--line); stroke-width: 1.2; }
.pill { fill: var(--panel); stroke: var(--link); }
.node.moved .obj, .route.moved .pill { stroke: var(--moved); stroke-width: 3; fill: var(--moved-bg); }
.node.moved-within .obj { stroke: var(--moved); stroke-dasharray: 4 3; }
.link { fill: none; stroke: var(--link); stroke-width: 1.5; }
.link.moved { stroke: var(--moved); stroke-width: 3.5; }
.link.follows { stroke-dasharray: 3 3; }
.gantt .grid { stroke: var(--line); stroke-width: 1; }
.gantt .bar { fill: var(--bar); }
.gantt .bar.sub { fill: var(--bar-sub); }
.gantt .bar.detect { fill: var(--bar-detect); }
.gantt .bar.failed { fill: var(--bar-failed); }
.gantt .bar.skipped { fill: var(--bar-skipped); }
.gantt .row.sub .t-small { fill: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 10px 0; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
tr.sub td { color: var(--muted); font-size: 12px; }
tr.moved td, table.moves td { background: var(--moved-bg); }
td.warn { color: var(--bad); font-weight: 600; }
ul.errors li { color: var(--bad); }
.verdict { padding: 8px 12px; border-radius: 6px; border-left: 4px solid currentColor; background: var(--panel); }
.verdict.ok { color: var(--ok); } .verdict.bad { color: var(--bad); } .verdict.warn { color: var(--warn); }
footer { margin-top: 32px; }
@media print {
  :root { --bg: #fff; --fg: #000; --panel: #fff; --az: #f4f6f8; --obj: #fff; --fw: #fff; }
  body { max-width: none; padding: 0; font-size: 11px; }
  .diagrams { grid-template-columns: 1fr 1fr; }
  section { break-inside: avoid; }
  table { break-inside: auto; } tr { break-inside: avoid; }
  h2 { break-after: avoid; }
  @page { size: A4 landscape; margin: 12mm; }
}
`;
