// The playground page's HTML and styles. Its script (web/playground/, CodeMirror 6 bundled by
// esbuild) is the static asset /play/assets/playground.js. `<meta name="sql-runner-api">` tells
// the script where the page-session API is: /play/api under `npm start`; a gateway embedding the
// page serves this HTML with its own base there (docs/playground.md).

export const PLAY_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="sql-runner-api" content="/play/api">
<title>sql-runner playground</title>
<style>
  :root { --fg: #1b1f24; --muted: #59636e; --line: #d1d9e0; --bg2: #f6f8fa; --accent: #0b57d0;
          --ok: #1a7f37; --bad: #c62828; --warn: #9a6700; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); }
  * { box-sizing: border-box; }
  body { margin: 0; }
  header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .5rem 1rem;
           border-bottom: 1px solid var(--line); background: var(--bg2); }
  header h1 { font-size: 1rem; margin: 0 1rem 0 0; }
  main { display: grid; grid-template-columns: 17rem minmax(0, 1fr) minmax(0, 1fr); gap: 0; min-height: calc(100vh - 3rem); }
  section { padding: .75rem 1rem; min-width: 0; }
  #files-panel { border-right: 1px solid var(--line); }
  #editor-panel { border-right: 1px solid var(--line); display: flex; flex-direction: column; }
  #editor { flex: 1; min-height: 18rem; border: 1px solid var(--line); border-radius: 4px; overflow: auto; }
  #editor .cm-editor { height: 100%; min-height: 18rem; }
  h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: .75rem 0 .35rem; }
  h2:first-child { margin-top: 0; }
  ul.tree { list-style: none; padding: 0; margin: 0; font-family: ui-monospace, monospace; font-size: 13px; }
  ul.tree li.folder { color: var(--muted); margin-top: .35rem; }
  ul.tree button.file { all: unset; cursor: pointer; display: block; padding: .1rem .4rem .1rem 1rem; border-radius: 3px; }
  ul.tree button.file[aria-current="true"] { background: #dbe7fb; }
  ul.tree button.file:focus-visible { outline: 2px solid var(--accent); }
  .row { display: flex; gap: .35rem; margin: .3rem 0; flex-wrap: wrap; }
  input[type=text], select { font: inherit; padding: .25rem .4rem; border: 1px solid var(--line); border-radius: 4px; min-width: 0; }
  .row input[type=text] { flex: 1 1 7rem; }
  button { font: inherit; padding: .25rem .7rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
  button:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
  button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
  button:disabled { opacity: .5; cursor: default; }
  #status { font-weight: 600; }
  #status[data-status=completed] { color: var(--ok); }
  #status[data-status=failed], #status[data-status=canceled] { color: var(--bad); }
  .badge { display: inline-block; font-size: 11px; padding: 0 .35rem; border-radius: 3px; border: 1px solid currentColor; margin-right: .3rem; }
  .badge.replayed { color: var(--warn); } .badge.reused { color: var(--accent); } .badge.done { color: var(--ok); }
  ol.progress { list-style: none; padding: 0; margin: 0; font-family: ui-monospace, monospace; font-size: 12px; max-height: 14rem; overflow: auto; }
  ol.progress li { padding: .05rem 0; }
  ol.progress li.log { color: var(--muted); }
  .result-set { margin: .5rem 0 1rem; overflow-x: auto; }
  .result-set table { border-collapse: collapse; font-family: ui-monospace, monospace; font-size: 12px; }
  .result-set th, .result-set td { border: 1px solid var(--line); padding: .15rem .45rem; text-align: left; vertical-align: top; white-space: pre; }
  .result-set th { background: var(--bg2); }
  .result-set th small { color: var(--muted); font-weight: normal; }
  .result-set td.num { text-align: right; }
  .null { color: var(--muted); font-style: italic; }
  .meta { color: var(--muted); font-size: 12px; }
  .truncated { color: var(--warn); font-weight: 600; }
  details.fold summary { cursor: pointer; }
  #error { border-left: 4px solid var(--bad); background: #fdecea; padding: .5rem .75rem; white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12px; }
  #error button { font-family: system-ui, sans-serif; margin-top: .4rem; }
  #notice { border-left: 4px solid var(--warn); background: #fff8e1; padding: .5rem .75rem; }
  .cm-error-line { background: #fdecea; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  @media (max-width: 900px) {
    main { grid-template-columns: 1fr; }
    #files-panel, #editor-panel { border-right: 0; border-bottom: 1px solid var(--line); }
    #editor, #editor .cm-editor { min-height: 12rem; }
  }
</style>
</head>
<body>
<header>
  <h1>sql-runner playground</h1>
  <label>Head <select id="head" aria-describedby="head-help"></select></label>
  <span id="head-help" class="visually-hidden">the file to run; files before it are its tail</span>
  <button id="run" class="primary" type="button" aria-keyshortcuts="Control+Enter">Run</button>
  <button id="cancel" type="button" disabled>Cancel</button>
  <span role="status" aria-live="polite">Status: <span id="status" data-status="idle">idle</span></span>
</header>
<main>
  <section id="files-panel" aria-labelledby="files-title">
    <h2 id="files-title">Files</h2>
    <ul id="tree" class="tree" aria-label="project files"></ul>
    <form id="add-form" class="row">
      <label class="visually-hidden" for="new-path">New file path</label>
      <input id="new-path" type="text" placeholder="init/02_more.sql" autocomplete="off">
      <button type="submit">Add</button>
    </form>
    <form id="rename-form" class="row">
      <label class="visually-hidden" for="rename-path">Rename the open file to</label>
      <input id="rename-path" type="text" autocomplete="off">
      <button type="submit">Rename</button>
      <button id="delete" type="button">Delete</button>
    </form>
    <p id="tree-message" class="meta" role="alert"></p>
    <h2>Variables</h2>
    <div id="vars"></div>
    <button id="add-var" type="button">Add variable</button>
    <h2>Project</h2>
    <div class="row">
      <button id="export" type="button">Export JSON</button>
      <button id="export-zip" type="button">Export zip</button>
      <label><span class="visually-hidden">Import a JSON or zip export</span><input id="import" type="file" accept="application/json,.json,application/zip,.zip"></label>
    </div>
    <button id="reset" type="button">Reset to the example</button>
  </section>
  <section id="editor-panel" aria-labelledby="editor-title">
    <h2 id="editor-title">Editing <code id="open-path"></code></h2>
    <div id="editor"></div>
  </section>
  <section id="output-panel" aria-labelledby="output-title">
    <h2 id="output-title">Progress</h2>
    <div id="notice" hidden role="alert"></div>
    <ol id="progress" class="progress" aria-live="polite"></ol>
    <div id="error" hidden role="alert"></div>
    <h2>Results</h2>
    <div id="results"><p class="meta">Press Run (Ctrl+Enter) to run the head.</p></div>
    <p id="summary" class="meta"></p>
  </section>
</main>
<script type="module" src="/play/assets/playground.js"></script>
</body>
</html>
`;
