#!/bin/sh
# curl, following redirects as most scripts ask it to (-L), without -X
# (which would keep the method across a 303).
if [ "$TEAPOT_GRADE_METHOD" = POST ]; then
  exec curl -sS -L --max-time 10 --data-binary teapot "$TEAPOT_GRADE_URL"
fi
exec curl -sS -L --max-time 10 "$TEAPOT_GRADE_URL"
