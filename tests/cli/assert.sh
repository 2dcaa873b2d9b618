# Assertions shared by the shell test scripts (tests/cli/cases.sh, tests/calib/cases.sh). Sourced after the script
# has changed into its work folder: commands' stdout and stderr land in ./stdout and ./stderr there.

# fail MSG...: print the message and what the last command wrote, exit 1
fail() {
  echo "FAIL: $*" >&2
  for f in stdout stderr; do [ -s "$f" ] && { echo "--- $f:" >&2; head -c 4000 "$f" >&2; }; done
  exit 1
}

# ok CMD...: must exit 0 with nothing on stderr
ok() {
  "$@" >stdout 2>stderr </dev/null || fail "'$*' exited with status $?"
  [ -s stderr ] && fail "'$*' wrote to stderr"
  return 0
}
