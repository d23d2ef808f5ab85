#!/usr/bin/env bash
# Usage: scripts/aws-emulator.sh start | stop | status
#
# One setting places the emulator: AWS_ENDPOINT_URL (default http://127.0.0.1:4566), the
# same variable the AWS SDKs and the CDK CLI read, so they always talk to the emulator
# started here.
#
# start: if an AWS emulator already answers on $AWS_ENDPOINT_URL (LocalStack for users with
#        Docker, or anything speaking its edge API), use it and print "existing". Otherwise
#        install MiniStack (pinned, project-local virtualenv), start it in the background
#        through scripts/ministack_launcher.py (loopback only; SQS event source batching as
#        on AWS), wait until healthy and print "started". Idempotent.
# stop:  stop the MiniStack this script started on that port (and remove its temporary
#        folders); never touches an emulator it did not start.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
url="${AWS_ENDPOINT_URL:-http://127.0.0.1:4566}"
url="${url%/}"
if [ -n "${EMULATOR_URL:-}" ] && [ "${EMULATOR_URL%/}" != "$url" ]; then
  echo "sagebatch: EMULATOR_URL=$EMULATOR_URL is no longer read and differs from where the SDKs and the CDK CLI connect ($url); set AWS_ENDPOINT_URL alone" >&2
  exit 2
fi
port="${url##*:}"
case "$port" in
  '' | *[!0-9]*) echo "sagebatch: AWS_ENDPOINT_URL=$url names no port (e.g. http://127.0.0.1:4566)" >&2; exit 2 ;;
esac
state="$root/.sagebatch"
pidfile="$state/ministack-$port.pid"
logfile="$state/ministack-$port.log"

healthy() { curl -sf --max-time 2 "$url/_localstack/health" >/dev/null 2>&1; }
ours() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "${1:-}" in
  start)
    if healthy; then
      if ours; then echo started; else echo existing; fi
      exit 0
    fi
    bin="$(bash "$root/scripts/python-venv.sh" emulator)"
    mkdir -p "$state"
    # MiniStack runs Lambda functions as local processes (no Docker needed); its state is
    # kept in memory only, so every start is a clean account.
    GATEWAY_PORT="$port" MINISTACK_REGION="${AWS_REGION:-us-east-1}" LAMBDA_EXECUTOR=local \
      nohup setsid "$bin/python" "$root/scripts/ministack_launcher.py" >"$logfile" 2>&1 </dev/null &
    echo $! >"$pidfile"
    for _ in $(seq 1 120); do
      if healthy; then echo started; exit 0; fi
      if ! ours; then echo "sagebatch: MiniStack exited while starting; see $logfile" >&2; exit 1; fi
      sleep 0.5
    done
    echo "sagebatch: MiniStack did not become healthy on $url within 60 s; see $logfile" >&2
    exit 1
    ;;
  stop)
    if ours; then
      pid="$(cat "$pidfile")"
      kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 -- "-$pid" 2>/dev/null || true
      # The launcher removes its temp directory on exit; this covers a forced kill.
      rm -rf "${TMPDIR:-/tmp}"/sagebatch-ministack-"$port"-*
      echo stopped
    else
      echo "not started by sagebatch"
    fi
    rm -f "$pidfile"
    ;;
  status)
    if healthy; then
      if ours; then echo "MiniStack (started by sagebatch) on $url"; else echo "an emulator not started by sagebatch on $url"; fi
    else
      echo "no emulator on $url"
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 start | stop | status" >&2
    exit 2
    ;;
esac
