#!/usr/bin/env bats
# `stack dockerfile FILE`: the real binary on the seed Dockerfiles (JSON on
# stdout, exit 0), on every malformed Dockerfile of the corpus (exact
# FILE:LINE errors on stderr, exit 1), and its command-line handling.

setup() {
	: "${STACK_BIN:?STACK_BIN must name the stack binary}"
	: "${STACK_SRC:?STACK_SRC must name the source tree}"
	CORPUS="$STACK_SRC/tests/corpus/dockerfile"
	VALID="$CORPUS/valid"
	# No stack file anywhere near: the command must not need one.
	cd "$BATS_TEST_TMPDIR"
}

# check_json FILE PYTHON-EXPR: parse FILE (the command's stdout) as JSON
# into `d` and assert the expression holds, printing the JSON if not.
check_json() {
	python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if not eval(sys.argv[2]):
    print(json.dumps(d, indent=1))
    sys.exit("assertion failed: " + sys.argv[2])
PY
}

# brief FILE: one line per instruction, "cmd|flags|args|json|line-end"
brief() {
	python3 - "$1" <<'PY'
import json, sys
for o in json.load(open(sys.argv[1])):
    print("%s|%s|%s|%s|%d-%d" % (o["cmd"], ",".join(o["flags"]), "¦".join(o["args"]),
                                 str(o["json"]).lower(), o["line"], o["end_line"]))
PY
}

@test "seed python3-pip3: instructions, args and lines" {
	"$STACK_BIN" dockerfile "$VALID/python3-pip3/Dockerfile" >out.json 2>err
	[ -s out.json ]
	[ ! -s err ]
	run brief out.json
	[ "$status" -eq 0 ]
	[ "$output" = "from||debian:bookworm|false|3-3
run||apt-get update|false|5-5
run||apt-get --yes install python3|false|6-6
run||apt-get --yes install python3-pip|false|7-7" ]
}

@test "seed flask112" {
	"$STACK_BIN" dockerfile "$VALID/flask112/Dockerfile" >out.json
	run brief out.json
	[ "$output" = "from||python3-pip3|false|3-3
workdir||/espresso|false|5-5
copy||requirements.txt¦.|false|6-6
run||pip3 install -r requirements.txt|false|7-7" ]
}

@test "seed espresso: ENV as key, value" {
	"$STACK_BIN" dockerfile "$VALID/espresso/Dockerfile" >out.json
	run brief out.json
	[ "$output" = "from||flask112|false|3-3
workdir||/espresso|false|5-5
copy||.¦/espresso|false|6-6
env||FLASK_APP¦espresso.py|false|8-8
env||FLASK_DEBUG¦true|false|9-9
env||FLASK_ENV¦development|false|10-10
expose||5000|false|12-12" ]
}

@test "seed espresso-run: shell-form ENTRYPOINT is one string" {
	"$STACK_BIN" dockerfile "$VALID/espresso-run/Dockerfile" >out.json
	run brief out.json
	[ "$output" = "from||espresso|false|3-3
workdir||/espresso|false|5-5
run||useradd -u 1000 earl|false|6-6
user||earl|false|7-7
entrypoint||flask run --host 0.0.0.0 --port 5000|false|9-9" ]
}

@test "output is indented JSON with keys in a fixed order" {
	"$STACK_BIN" dockerfile "$VALID/espresso-run/Dockerfile" >out.json
	run sed -n '1,3p' out.json
	[ "$output" = '[
  {
    "cmd": "from",' ]
	check_json out.json 'all(list(o.keys()) == ["cmd", "flags", "args", "json", "line", "end_line"] for o in d)'
}

@test "full syntax: escape directive, flags, heredocs, ONBUILD, exec form" {
	"$STACK_BIN" dockerfile "$VALID/full-syntax/Dockerfile" >out.json
	run brief out.json
	[ "$output" = "arg||BASE=debian:bookworm|false|3-3
from|--platform=linux/amd64|\${BASE}¦AS¦build|false|4-4
run||apt-get update     && apt-get install -y make|false|5-8
copy|--from=build,--chown=1000:1000|/out¦/app|false|9-9
run|--mount=type=cache,target=/root/.cache|<<EOF|false|10-13
copy||<<-\"CONF\"¦/etc/app.conf|false|14-16
env||A¦1¦B¦\"x y\"|false|17-17
label||org.example.title¦\"espresso\"|false|18-18
onbuild||RUN [\"make\", \"install\"]|false|19-19
cmd||flask¦run|true|20-20" ]
	check_json out.json 'd[4]["heredocs"] == [{"name": "EOF", "content": "set -e\nmake\n", "expand": True, "chomp": False}]'
	check_json out.json 'd[5]["heredocs"] == [{"name": "CONF", "content": "\tliteral $HOME\n", "expand": False, "chomp": True}]'
	check_json out.json 'd[8]["next"] == {"cmd": "run", "flags": [], "args": ["make", "install"], "json": True, "line": 19, "end_line": 19}'
	check_json out.json '"heredocs" not in d[0] and "next" not in d[0]'
}

@test "FILE - reads standard input" {
	printf 'FROM a\nRUN ["true"]\n' | "$STACK_BIN" dockerfile - >out.json
	check_json out.json 'd == [{"cmd": "from", "flags": [], "args": ["a"], "json": False, "line": 1, "end_line": 1}, {"cmd": "run", "flags": [], "args": ["true"], "json": True, "line": 2, "end_line": 2}]'
}

@test "errors from standard input are labelled <stdin>" {
	run "$STACK_BIN" dockerfile - <<<'FROM a
RUNN x'
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "<stdin>:2: error: unknown instruction: RUNN" ]
	[ "${lines[1]}" = "  hint: did you mean RUN?" ]
}

@test "parse errors go to stderr only, nothing on stdout" {
	printf 'FROM\n' >Dockerfile
	run bash -c '"$0" dockerfile Dockerfile 2>/dev/null' "$STACK_BIN"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
}

@test "--help prints usage and exits 0" {
	run "$STACK_BIN" dockerfile --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: stack dockerfile [OPTIONS] FILE"* ]]
}

@test "usage errors exit 2" {
	run "$STACK_BIN" dockerfile
	[ "$status" -eq 2 ]
	[[ "$output" == *"missing FILE"* ]]
	run "$STACK_BIN" dockerfile a b
	[ "$status" -eq 2 ]
	run "$STACK_BIN" dockerfile --bogus x
	[ "$status" -eq 2 ]
}

@test "an unreadable file is a clear error, exit 1" {
	run "$STACK_BIN" dockerfile does-not-exist/Dockerfile
	[ "$status" -eq 1 ]
	[ "$output" = "stack: dockerfile: open \`does-not-exist/Dockerfile\`: No such file or directory" ]
	mkdir adir
	run "$STACK_BIN" dockerfile adir
	[ "$status" -eq 1 ]
	[[ "$output" == *"adir"*"Is a directory"* ]]
}

@test "malformed corpus: every file fails with exactly its expected errors" {
	cd "$CORPUS"
	local n=0 failed=0
	for df in *.Dockerfile; do
		local name=${df%.Dockerfile}
		[ -f "$name.expected" ] || { echo "missing $name.expected"; failed=1; continue; }
		local rc=0
		"$STACK_BIN" dockerfile "$df" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || rc=$?
		if [ "$rc" -ne 1 ]; then
			echo "$df: exit $rc, want 1"
			failed=1
		fi
		if [ -s "$BATS_TEST_TMPDIR/out" ]; then
			echo "$df: unexpected stdout"
			failed=1
		fi
		if ! cmp -s "$BATS_TEST_TMPDIR/err" "$name.expected"; then
			echo "$df: stderr differs:"
			diff "$name.expected" "$BATS_TEST_TMPDIR/err" || true
			failed=1
		fi
		n=$((n + 1))
	done
	echo "checked $n files"
	[ "$failed" -eq 0 ]
	[ "$n" -ge 25 ]
}

@test "malformed corpus: every expected error names its own file and a line" {
	cd "$CORPUS"
	for exp in *.expected; do
		local name=${exp%.expected}
		[ -f "$name.Dockerfile" ]
		# first line of each diagnostic is FILE:LINE: error: ...
		run grep -v '^  hint: ' "$exp"
		for l in "${lines[@]}"; do
			[[ "$l" =~ ^"$name.Dockerfile":[0-9]+": error: " ]] || { echo "bad line in $exp: $l"; false; }
		done
	done
}
