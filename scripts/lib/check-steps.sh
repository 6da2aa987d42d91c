# shellcheck shell=bash
# Steps shared by scripts/check-arm64.sh (the bundle installed in a fresh root) and
# scripts/check-arm64-setup.sh (setup.sh run in one): timed step lines with a summary, and the checks
# both make once Lookout is in the root. Sourced after scripts/lib/arm64-root.sh. The caller sets
# CHECK_NAME, CHECK (the root), WORK (logs) and defines how to run things in its root:
#   root_lookout ARGS...       the root's `lookout`
#   root_mqtt_expect ARGS...   scripts/lib/mqtt-expect.js with the root's Node and node_modules

CHECK_RESULTS=()
CHECK_FAILED=0
CHECK_T_ALL=$(date +%s)
CHECK_STEP=""
CHECK_T_STEP=0

# begin NAME / end ok|FAIL [NOTE]: one timed line per step in the summary.
begin() { CHECK_STEP=$1; CHECK_T_STEP=$(date +%s); echo "==> $CHECK_NAME: $1"; }
end() {
  local secs=$(( $(date +%s) - CHECK_T_STEP ))
  [ "$1" = ok ] || CHECK_FAILED=1
  CHECK_RESULTS+=("$(printf '%-4s %5ss  %s%s' "$1" "$secs" "$CHECK_STEP" "${2:+  ($2)}")")
  echo "    $1 (${secs} s)${2:+ — $2}"
}
# summary HEADING: the heading names what was checked; the host is added.
summary() {
  echo
  echo "$CHECK_NAME summary, $1 ($(date -u +%Y-%m-%dT%H:%MZ); host: $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), $(uname -m)):"
  printf '  %s\n' "${CHECK_RESULTS[@]}"
  echo "  total $(( $(date +%s) - CHECK_T_ALL )) s: $([ $CHECK_FAILED -eq 0 ] && echo 'all checks passed' || echo 'SOME CHECKS FAILED')"
}

# check_models_verify MODEL...: `lookout model verify` in the root for each model.
check_models_verify() {
  local m
  for m in "$@"; do
    begin "lookout model verify $m"
    if root_lookout model verify "$m" > "$WORK/verify-$m.log" 2>&1; then
      end ok "$(tail -1 "$WORK/verify-$m.log" | cut -c1-100)"
    else
      tail -10 "$WORK/verify-$m.log"; end FAIL "log: $WORK/verify-$m.log"
    fi
  done
}

# check_detect_photos LABEL TOLERANCE MODEL...: `lookout detect --json` on the test photos in the root
# and on this host, compared within TOLERANCE. Photos only: JPEG/PNG decode bit-identically on both
# architectures, video codecs do not.
check_detect_photos() {
  local label=$1 tol=$2 m photos n
  shift 2
  mkdir -p "$CHECK/tmp/photos"
  photos=$(find .cache/testdata -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' \) | sort)
  # shellcheck disable=SC2086 # one file name per word
  cp $photos "$CHECK/tmp/photos/"
  n=$(echo "$photos" | wc -l)
  for m in "$@"; do
    begin "lookout detect --json on $n photos, model $m: $label vs this host (tolerance $tol)"
    # shellcheck disable=SC2086
    node bin/lookout.js detect $photos --json --min-score 0.3 --model "$m" > "$WORK/detect-$m-host.jsonl" 2> "$WORK/detect-$m-host.err"
    root_lookout detect /tmp/photos --json --min-score 0.3 --model "$m" > "$WORK/detect-$m-root.jsonl" 2> "$WORK/detect-$m-root.err"
    if node scripts/lib/compare-detections.js "$WORK/detect-$m-host.jsonl" "$WORK/detect-$m-root.jsonl" "$tol" > "$WORK/compare-$m.txt" 2>&1; then
      cat "$WORK/compare-$m.txt"; end ok "$(tail -1 "$WORK/compare-$m.txt" | sed 's/^ *//')"
    else
      cat "$WORK/compare-$m.txt"; tail -5 "$WORK/detect-$m-root.err"
      end FAIL "$(tail -1 "$WORK/compare-$m.txt" | sed 's/^ *//')"
    fi
  done
}

# check_run_demo DEVICE_ID VIDEO MESSAGES: `lookout run` in the root on VIDEO (a path in the root)
# until MESSAGES detections messages reach the daemon's embedded broker, then a clean stop.
check_run_demo() {
  local device=$1 video=$2 messages=$3 port run_pid
  begin "lookout run on the demo video, $messages detections messages through the embedded broker"
  # The chroot shares the host's network: take a free port, not 1883.
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  cat > "$CHECK/tmp/run.yaml" <<EOF
device: {id: $device}
log: {level: info, format: json}
state_dir: /tmp/lookout-state
mqtt:
  url: mqtt://127.0.0.1:$port
  embedded: {mode: "on", host: 127.0.0.1, port: $port}
homeassistant: {discovery: false}
http: {enabled: false}
cameras:
  - name: demo
    source: {type: file, path: $video, loop: true, realtime: false}
    max_fps: 5
    objects: {track: [person], min_score: 0.5}
EOF
  root_lookout run --config /tmp/run.yaml > "$WORK/run.log" 2>&1 &
  run_pid=$!
  if root_mqtt_expect "mqtt://127.0.0.1:$port" "lookout/$device" "$messages" 300 > "$WORK/run-mqtt.log" 2>&1; then
    cat "$WORK/run-mqtt.log"; end ok "$(grep -c detections "$WORK/run-mqtt.log") detections messages received"
  else
    cat "$WORK/run-mqtt.log"; tail -10 "$WORK/run.log"; end FAIL "log: $WORK/run.log"
  fi
  # SIGTERM is the daemon's clean stop. chroot, env and the wrappers exec each other, so the daemon's
  # node is the background job's one child (or the job itself where bash exec'd the last command).
  pkill -TERM -P "$run_pid" 2>/dev/null || kill -TERM "$run_pid" 2>/dev/null
  wait "$run_pid" 2>/dev/null
}
