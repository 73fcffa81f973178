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
  const params = new URLSearchParams(location.search);
  const job = params.get("job") ?? "";
  const ticket = params.get("ticket") ?? "";
  document.getElementById("job").textContent = job;
  const statusEl = document.getElementById("status");
  const list = document.getElementById("events");
  const terminal = new Set(["completed", "failed", "canceled"]);
  let lastSeq = 0;
  function connect() {
    const url = new URL("/v1/jobs/" + encodeURIComponent(job) + "/ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("ticket", ticket);
    if (lastSeq > 0) url.searchParams.set("after", String(lastSeq));
    const ws = new WebSocket(url);
    ws.onmessage = (msg) => {
      const event = JSON.parse(msg.data);
      if (typeof event.seq === "number") lastSeq = event.seq;
      const li = document.createElement("li");
      li.textContent = event.seq + " " + event.type + " " + JSON.stringify(event.data ?? event);
      list.append(li);
      const status = event.status ?? event.data?.status;
      if (event.type === "status" && typeof status === "string") {
        statusEl.textContent = status;
        if (terminal.has(status)) statusEl.dataset.final = "true";
      }
    };
    ws.onclose = (e) => {
      if (statusEl.dataset.final !== "true" && e.code !== 1008) setTimeout(connect, 500);
      if (e.code === 1008 || (e.code !== 1000 && e.reason)) statusEl.textContent = "refused: " + e.reason;
    };
  }
  connect();
</script>
</body>
</html>
`;
