/**
 * A fix for kafkajs 2.2.4 (its last release; upstream issue tulios/kafkajs#1751, unmerged):
 * RequestQueue marks "not throttled" with throttledUntil = -1, and after every response
 * scheduleCheckPendingRequests sets a timer of `throttledUntil - Date.now()`, i.e. minus the epoch
 * time in ms, even when no request is waiting. Node runs such a timer after 1 ms and, since Node
 * 24, prints a TimeoutNegativeWarning ("-1796139515010 is a negative number") outside the JSON
 * log; the timer's callback schedules the next one, so every broker connection spins on a 1 ms
 * timer for as long as it is open.
 *
 * With nothing pending and no throttle there is nothing to check, so no timer is set; requests
 * queued later schedule their own check (push), as do throttles, which set a future instant.
 */
import { createRequire } from "node:module";

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

const require = createRequire(import.meta.url);
const RequestQueueClass = require("kafkajs/src/network/requestQueue/index.js") as { prototype: RequestQueue };
const schedule = RequestQueueClass.prototype.scheduleCheckPendingRequests;

RequestQueueClass.prototype.scheduleCheckPendingRequests = function (this: RequestQueue) {
  if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
  schedule.call(this);
};
