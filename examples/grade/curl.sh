#!/bin/sh
# curl as scripts commonly run it: following redirects (-L), picking the
# authentication scheme the server asks for (--anyauth), without -X (which
# would keep the method across a 303).
set -- -sS -L --anyauth --max-time 10
if [ -n "$TEAPOT_GRADE_EXPECT" ]; then
  set -- "$@" -H "Expect: $TEAPOT_GRADE_EXPECT"
fi
case "$TEAPOT_GRADE_METHOD" in
  POST) exec curl "$@" --data-binary teapot "$TEAPOT_GRADE_URL" ;;
  HEAD) exec curl "$@" --head "$TEAPOT_GRADE_URL" ;;
  *) exec curl "$@" "$TEAPOT_GRADE_URL" ;;
esac
