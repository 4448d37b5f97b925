#!/bin/sh
# dracut cmdline hook: claim root=berth so dracut waits for berth's mount hook.
if [ "$(getarg root=)" = "berth" ]; then
  rootok=1
  netroot=berth
fi
