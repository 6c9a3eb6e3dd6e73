#!/usr/bin/env bats
# `stack config` and the stack's networks: what is declared and joined is
# printed, the output loads again to the same thing, and bad network
# values are refused at their FILE:LINE:COL.

bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	cat >stack.yaml <<-'EOF'
	name: cfgt
	networks:
	  front: {driver: bridge, ipam: {config: [{subnet: 10.5.0.0/24}]}}
	  back:
	services:
	  web: {image: nginx, hostname: www, networks: {front: {aliases: [api, web.local]}, back: }}
	  db: {image: x, networks: [back]}
	  cache: {image: x}
	  side: {image: x, network_mode: "service:web"}
	EOF
}

@test "config prints networks, subnets, aliases and service:NAME, and its output loads to the same" {
	run --separate-stderr "$STACK_BIN" -f stack.yaml config --format json
	[ "$status" -eq 0 ]
	python3 - "$output" <<-'PY'
	import json, sys
	c = json.loads(sys.argv[1])
	assert c["networks"]["front"] == {"ipam": {"config": [{"subnet": "10.5.0.0/24"}]}}, c["networks"]
	assert c["networks"]["back"] == {}, c["networks"]
	# cache joins the implicit default network, shown as compose shows it: not at all
	assert "default" not in c["networks"], c["networks"]
	assert "networks" not in c["services"]["cache"]
	assert c["services"]["web"]["networks"] == {"front": {"aliases": ["api", "web.local"]}, "back": None}
	assert c["services"]["db"]["networks"] == {"back": None}
	assert c["services"]["side"]["network_mode"] == "service:web"
	assert "networks" not in c["services"]["side"]
	PY
	"$STACK_BIN" -f stack.yaml config >first.yaml
	"$STACK_BIN" -f first.yaml config >second.yaml
	diff first.yaml second.yaml
}

@test "bad values are refused where they are written" {
	cat >bad.yaml <<-'EOF'
	networks:
	  front: {ipam: {config: [{subnet: 10.5.0.1/24}]}}
	services:
	  web: {image: nginx, networks: {front: {aliases: ["bad alias"]}, nowhere: }}
	  side: {image: x, network_mode: "service:ghost"}
	EOF
	run --separate-stderr "$STACK_BIN" -f bad.yaml config -q
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"bad.yaml:2:36: error: \`subnet\`: \`10.5.0.1/24\` has host bits set: did you mean 10.5.0.0/24?"* ]]
	[[ "$stderr" == *"bad.yaml:4:52: error: \`aliases\`: \`bad alias\` is not a valid host name"* ]]
	[[ "$stderr" == *"error: service \`web\`: network \`nowhere\` is not declared"* ]]
	[[ "$stderr" == *"bad.yaml:5:34: error: service \`side\`: \`network_mode: service:ghost\` names no service"* ]]
}
