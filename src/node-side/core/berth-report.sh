#!/bin/sh
# berth-report STEP [STATE]: the booted OS reports to its node's timeline with
# the key the initramfs left in /run/berth (root only). Used by
# berth-booted.service to say `booted` once the system is up.
set -eu
. /run/berth/env
key=$(cat /run/berth/node.key)
body="{\"step\":\"$1\"${2:+,\"state\":\"$2\"},\"detail\":{\"image\":\"$BERTH_IMAGE\"}}"
exec curl --silent --show-error --fail-with-body --max-time 30 --retry 5 --retry-connrefused --cacert /etc/berth/ca.pem \
  -H "Authorization: BerthNode $BERTH_NODE:$key" -H 'Content-Type: application/json' --data "$body" \
  "$BERTH_SERVER/node/v1/nodes/$BERTH_NODE/events"
