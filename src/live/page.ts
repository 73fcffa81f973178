// A minimal live view of one job, served by the Worker at GET /live?job=<id>&ticket=<ticket>.
// It is what a frontend does: open the job's WebSocket with the ticket the gateway obtained,
// render every event, and show the terminal status. The browser test reads `#status`.

export const LIVE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>sql-runner job</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; }
  #status { font-weight: bold; }
  ol { font-family: ui-monospace, monospace; font-size: 12px; }
</style>
</head>
<body>
<h1>Job <code id="job"></code></h1>
<p>Status: <span id="status" data-final="false">connecting</span></p>
<ol id="events"></ol>
<script>
  // Events: { seq, type, ts, data }; the terminal one is type "status" with data.terminal = true,
  // after which the server closes with 1000. Reconnects resume with ?after=<last seq>.
  const params = new URLSearchParams(location.search);
  const job = params.get("job") ?? "";
  const ticket = params.get("ticket") ?? "";
  document.getElementById("job").textContent = job;
  const statusEl = document.getElementById("status");
  const list = document.getElementById("events");
  let lastSeq = 0;
  let attempts = 0;
  function show(event) {
    const li = document.createElement("li");
    li.dataset.seq = String(event.seq);
    li.textContent = event.seq + " " + event.ts + " " + event.type + " " + JSON.stringify(event.data);
    list.append(li);
  }
  function connect() {
    attempts += 1;
    const url = new URL("/v1/jobs/" + encodeURIComponent(job) + "/ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("ticket", ticket);
    if (lastSeq > 0) url.searchParams.set("after", String(lastSeq));
    const ws = new WebSocket(url);
    ws.onopen = () => {
      attempts = 0;
      statusEl.dataset.connects = String(Number(statusEl.dataset.connects ?? "0") + 1);
      delete statusEl.dataset.closeCode;
      if (statusEl.dataset.final !== "true") statusEl.textContent = "subscribed";
    };
    ws.onmessage = (msg) => {
      const event = JSON.parse(msg.data);
      if (typeof event.seq !== "number" || event.seq <= lastSeq) return;
      lastSeq = event.seq;
      show(event);
      if (event.type === "status" && typeof event.data?.status === "string") {
        statusEl.textContent = event.data.status;
        if (event.data.terminal === true) statusEl.dataset.final = "true";
      }
    };
    ws.onclose = (e) => {
      statusEl.dataset.closeCode = String(e.code);
      if (statusEl.dataset.final === "true") return;
      // 4000: one replay page was sent and more are stored; the reason is the cursor to resume at.
      if (e.code === 4000) return connect();
      // A refused upgrade (bad or expired ticket) shows up as 1006: give up after a few tries.
      if (attempts < 5) setTimeout(connect, 500 * attempts);
      else if (!statusEl.dataset.connects) {
        // Never opened: browsers hide the refusal's HTTP status (401/403/404), so say what it means.
        statusEl.textContent = "disconnected: the live connection was refused before it opened (code " + e.code +
          "). The usual cause is an invalid or expired ticket (tickets last 60 seconds): ask the gateway for a new one.";
      } else statusEl.textContent = "disconnected (code " + e.code + ")";
    };
  }
  connect();
</script>
</body>
</html>
`;
