// The auction's live WebSocket, resumed after a dropped connection without missing a bid:
// the client remembers the last event sequence it applied and reconnects with ?after=
// that sequence; the server replays what was missed from its outbox, then the live tail.

export class LiveAuction {
  /**
   * @param {string} auctionId
   * @param {string} key the API key, offered as the "psm.bearer.<key>" subprotocol
   * @param {{state: Function, event: Function, status: Function}} on
   */
  constructor(auctionId, key, on) {
    this.auctionId = auctionId;
    this.key = key;
    this.on = on;
    this.last = 0;           // the last event sequence applied (state messages excluded)
    this.connections = 0;    // how many times a socket opened (1 + reconnections)
    this.attempt = 0;
    this.stopped = false;
    this.ws = null;
    this.timer = null;
  }

  start() { this.connect(); return this; }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/v1/auctions/${encodeURIComponent(this.auctionId)}/live?after=${this.last}`;
    const ws = new WebSocket(url, ["psm.v1", `psm.bearer.${this.key}`]);
    this.ws = ws;
    this.on.status(this.connections ? "reconnecting" : "connecting");
    ws.onopen = () => {
      this.attempt = 0;
      this.connections += 1;
      this.on.status("live");
    };
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === "state") {
        // The state is now; the events that follow it are those after `last`, in order.
        this.on.state(m.data, m.sequence);
        return;
      }
      if (m.sequence <= this.last) return; // already applied (a replay overlapping the live tail)
      this.last = m.sequence;
      this.on.event(m);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      this.on.status("reconnecting");
      const delay = Math.max(Math.min(500 * 2 ** this.attempt, 10000), (this.outageUntil || 0) - Date.now());
      this.attempt += 1;
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  /**
   * Close the socket as a network failure would, and stay away for `outageMs` (a venue
   * developer can watch the client resume; the tests do).
   */
  drop(outageMs = 0) {
    this.outageUntil = Date.now() + outageMs;
    if (this.ws) this.ws.close(4000, "dropped");
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000, "left");
    this.ws = null;
  }
}
