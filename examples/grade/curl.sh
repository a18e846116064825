#!/bin/sh
# curl as scripts commonly run it: following redirects (-L), picking the
# authentication scheme the server asks for (--anyauth), without -X (which
# would keep the method across a 303). Asked to repeat, it names the URL
# twice in one run, as curl reuses its connection for the second.
set -- -sS -L --anyauth --max-time 10
if [ -n "$TEAPOT_GRADE_EXPECT" ]; then
  set -- "$@" -H "Expect: $TEAPOT_GRADE_EXPECT"
fi
case "$TEAPOT_GRADE_METHOD" in
  POST) set -- "$@" --data-binary teapot ;;
  HEAD) set -- "$@" --head ;;
esac
if [ "${TEAPOT_GRADE_REPEAT:-1}" = 2 ]; then
  exec curl "$@" "$TEAPOT_GRADE_URL" "$TEAPOT_GRADE_URL"
fi
exec curl "$@" "$TEAPOT_GRADE_URL"
