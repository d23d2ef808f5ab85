"""Start the pinned MiniStack with an SQS event source that batches like AWS Lambda's.

Run by scripts/aws-emulator.sh with the emulator virtualenv's Python. It changes exactly one
MiniStack behaviour and two start-up settings, and refuses any MiniStack version other than
the one it was written against (the private helpers it calls may change in any release):

* SQS event source receive (MiniStack 1.5.33 hands a function at most 10 messages and ignores
  MaximumBatchingWindowInSeconds). AWS documents that an event source mapping keeps gathering
  records until the batching window expires, BatchSize records are gathered, or the payload
  would exceed the 6 MB synchronous invocation limit, whichever comes first (BatchSize up to
  10,000 for standard queues; window 0-300 s). `GatheringReceive` replaces
  `ministack.services.sqs._receive_messages_for_esm` with that rule. MiniStack's poller still
  builds the event, invokes the function and deletes what succeeded. FIFO queues keep
  MiniStack's own receive (at most 10, no window: AWS allows no window for FIFO).
* Loopback only: MiniStack binds 0.0.0.0 unless BIND_HOST (and SFTP_HOST, for Transfer
  Family servers) say otherwise; this sets 127.0.0.1 (a local test account needs no other
  interface). Listeners sagebatch never creates (RDS proxies; IoT mTLS, off without the
  `cryptography` package) are left as MiniStack has them.
* Temporary folders: every Lambda worker extracts its code into a folder under the temp
  directory and MiniStack leaves them behind when it is stopped. This gives MiniStack a
  private temp directory and removes it on exit (scripts/aws-emulator.sh removes it too, in
  case the process was killed).
"""

from __future__ import annotations

import atexit
import importlib.metadata
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

PINNED_VERSION = "1.5.33"
# AWS Lambda's synchronous invocation payload limit ("6 MB"), in bytes.
INVOKE_PAYLOAD_LIMIT = 6 * 1024 * 1024
# Bytes a record adds around its body and message attributes in the event JSON: messageId,
# receiptHandle, md5OfBody, eventSource, eventSourceARN, awsRegion, the attributes map and the
# separators: at most about 650 bytes (an 80-character queue name and a trace header
# included); rounded up so the estimate never falls short of the real size.
RECORD_OVERHEAD = 1024
EVENT_OVERHEAD = len('{"Records": []}')


def record_bytes(message: dict) -> int:
    """Upper estimate of the bytes one SQS message takes in a Lambda event."""
    body = len(json.dumps(message.get("body", "")).encode())
    attributes = len(json.dumps(message.get("message_attributes") or {}).encode())
    return body + attributes + RECORD_OVERHEAD


class Gathering:
    """Messages one event source mapping has received for its next invocation."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.handles: list[str] = []
        self.payload = EVENT_OVERHEAD
        self.started = 0.0
        # A message received that would have pushed the payload over the limit: it opens the
        # next batch instead of being dropped or exceeding the limit.
        self.overflow: dict | None = None
        self.wake_set = False


class GatheringReceive:
    """AWS's batching rule for SQS event source mappings, as a drop-in for MiniStack's receive.

    MiniStack's poller calls the receive once per mapping per pass and invokes the function
    with whatever it returns. Here the receive gathers instead: it keeps received messages
    (in flight, as on AWS) and returns them only when the batch is complete.
    """

    def __init__(self, sqs, lambda_svc) -> None:
        self._sqs = sqs
        self._lambda_svc = lambda_svc
        self._original_receive = sqs._receive_messages_for_esm
        self._original_iter = lambda_svc._iter_all_esms
        self._batches: dict[str, Gathering] = {}
        self._lock = threading.Lock()
        # The mapping MiniStack's poller is looking at when it calls the receive.
        self._current = threading.local()

    def install(self) -> None:
        self._sqs._receive_messages_for_esm = self.receive
        self._lambda_svc._iter_all_esms = self._iter_all_esms

    def _iter_all_esms(self):
        for entry in self._original_iter():
            self._current.esm = entry[2]
            yield entry
        self._current.esm = None

    def receive(self, queue_url: str, max_number: int) -> list[dict]:
        esm = getattr(self._current, "esm", None)
        sqs = self._sqs
        with sqs._queues_lock:
            fifo = bool(sqs._get_q(queue_url).get("is_fifo"))
        if esm is None or fifo:
            return self._original_receive(queue_url, max_number)
        window = max(0, min(int(esm.get("MaximumBatchingWindowInSeconds") or 0), 300))
        # AWS refuses a BatchSize over 10 without a window of at least 1 s; MiniStack accepts
        # the mapping, so it gets what AWS would allow it: 10.
        batch_size = max(1, min(int(max_number or 10), 10_000 if window >= 1 else 10))
        with self._lock:
            gathering = self._batches.setdefault(esm["UUID"], Gathering())
            return self._gather(queue_url, gathering, batch_size, window, esm["UUID"])

    def _gather(self, queue_url, gathering: Gathering, batch_size, window, key) -> list[dict]:
        sqs = self._sqs
        now = time.time()
        full = False
        with sqs._queues_lock:
            queue = sqs._get_q(queue_url)
            visibility = int(queue["attributes"].get("VisibilityTimeout", "30"))
            sqs._expire_retained(queue)
            sqs._dlq_sweep(queue)
            if gathering.overflow is not None:
                full = not self._add(gathering, gathering.overflow, now)
                gathering.overflow = None
            if not full and len(gathering.messages) < batch_size:
                received = sqs._collect_msgs(queue, batch_size - len(gathering.messages), visibility)
                for i, message in enumerate(received):
                    if not self._add(gathering, message, now):
                        gathering.overflow = message
                        self._give_back(received[i + 1:], now)
                        full = True
                        break
            if not gathering.messages:
                return []
            expired = now - gathering.started >= window
            if not (full or expired or len(gathering.messages) >= batch_size):
                if not gathering.wake_set:
                    self._wake_at(gathering.started + window)
                    gathering.wake_set = True
                return []
            batch = self._still_ours(queue, gathering, now)
        del self._batches[key]
        if gathering.overflow is not None:
            self._batches[key] = Gathering()
            self._batches[key].overflow = gathering.overflow
            self._wake_at(now)
        return batch

    @staticmethod
    def _add(gathering: Gathering, message: dict, now: float) -> bool:
        """Adds a message unless it would take the event over the payload limit."""
        size = record_bytes(message) + 1
        if gathering.messages and gathering.payload + size > INVOKE_PAYLOAD_LIMIT:
            return False
        if not gathering.messages:
            gathering.started = now
        gathering.messages.append(message)
        gathering.handles.append(message.get("receipt_handle"))
        gathering.payload += size
        return True

    @staticmethod
    def _give_back(messages: list[dict], now: float) -> None:
        """Returns received messages that do not fit to the queue, as if never received."""
        for message in messages:
            message["visible_at"] = now
            message["receive_count"] -= 1
            message["receipt_handle"] = None
            if message["receive_count"] == 0:
                message["first_receive_at"] = None

    @staticmethod
    def _still_ours(queue: dict, gathering: Gathering, now: float) -> list[dict]:
        """The gathered messages still in the queue and still in flight under our receipt.

        A message whose visibility timeout ran out while the window was open went back to the
        queue (and may have been received again): it is no longer ours to deliver.
        """
        present = {id(m) for m in queue["messages"]}
        return [
            m
            for m, handle in zip(gathering.messages, gathering.handles)
            if id(m) in present and m.get("receipt_handle") == handle and m["visible_at"] > now
        ]

    def _wake_at(self, when: float) -> None:
        """Makes MiniStack's poller look again when the window closes (it idles up to 1 s)."""
        wake = self._lambda_svc._esm_wake
        timer = threading.Timer(max(0.0, when - time.time()), wake.set)
        timer.daemon = True
        timer.start()


def check_version() -> None:
    try:
        installed = importlib.metadata.version("ministack")
    except importlib.metadata.PackageNotFoundError:
        installed = "none"
    if installed != PINNED_VERSION:
        sys.exit(
            f"sagebatch: scripts/ministack_launcher.py was written against MiniStack {PINNED_VERSION} "
            f"and replaces one of its private functions; found MiniStack {installed}. Install "
            f"ministack=={PINNED_VERSION} (scripts/requirements-emulator.txt), or check the new "
            "version's SQS event source and update PINNED_VERSION."
        )


def private_temp_dir() -> str:
    """A temp directory for this MiniStack only, removed when it exits."""
    port = os.environ.get("GATEWAY_PORT", "4566")
    path = tempfile.mkdtemp(prefix=f"sagebatch-ministack-{port}-")
    tempfile.tempdir = path
    atexit.register(shutil.rmtree, path, True)
    return path


def main() -> None:
    check_version()
    private_temp_dir()
    # The edge port, and the SFTP listener of Transfer Family servers (created on demand).
    os.environ["BIND_HOST"] = "127.0.0.1"
    os.environ["SFTP_HOST"] = "127.0.0.1"
    from ministack.core import lambda_runtime
    from ministack.services import lambda_svc, sqs

    GatheringReceive(sqs, lambda_svc).install()
    # Stop the function workers (each holds a folder in the temp directory) before exiting.
    atexit.register(lambda_runtime.reset)
    from ministack.app import main as ministack_main

    # MiniStack's SIGTERM handler exits through sys.exit, which runs the atexit hooks.
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    ministack_main()


if __name__ == "__main__":
    main()
