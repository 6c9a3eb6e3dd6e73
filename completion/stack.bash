# bash completion for stack(1).
#
# Everything is read from the binary at completion time, so a new command
# or option is completed as soon as its --help lists it (and
# tests/cli/help_options.bats makes every --help list its parser's
# options):
#   commands         the Commands: section of `stack --help` (and of a
#                    command's own --help, for subcommands: `stack image`)
#   options          the Options: section of `stack CMD --help`; an option
#                    written with a placeholder (`--tail N`) takes a value
#   option values    FILE/DIR: paths; a|b|c: those words; SIGNAL: signals
#   arguments        by the usage line's placeholders: SERVICE from
#                    `stack config --services`, IMAGE from `config --images`,
#                    NAME/SOURCE of `stack image ...` from `stack images`,
#                    FILE paths
# The global -f/-p/--profile already typed are passed on, so services come
# from the stack file the command will use.

# _stack_section TITLE: the entries of section TITLE of a help text (stdin).
_stack_section() {
	awk -v t="$1:" '$0 == t { on = 1; next } on && /^[^ ]/ { on = 0 } on && NF' 2>/dev/null
}

# _stack_names HELP: the command names in HELP's Commands: section.
_stack_names() {
	_stack_section Commands <<<"$1" | awk '/^  [a-z]/ { print $1 }'
}

# _stack_opts HELP: "OPTION PLACEHOLDER" per option of HELP's Options:
# section (PLACEHOLDER "-" when it takes no value), one line each, short
# and long forms both.
_stack_opts() {
	_stack_section Options <<<"$1" | awk '
	match($0, /^ +-/) && RLENGTH <= 9 {
		line = $0; sub(/^ +/, "", line)
		# The term ends at the first run of two spaces.
		if (match(line, /  /)) line = substr(line, 1, RSTART - 1)
		n = split(line, w, /[ ,=]+/)
		arg = "-"
		for (i = 1; i <= n; i++) if (w[i] !~ /^-/ && w[i] != "") { arg = w[i]; break }
		for (i = 1; i <= n; i++) if (w[i] ~ /^-/) print w[i], arg
	}'
}

_stack() {
	local cur prev bin=${COMP_WORDS[0]}
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	# Walk the words before the cursor: global options (kept, to pass
	# on), the command, its subcommand, then the command's words.
	local -a globals=() args=()
	local top help cmd="" sub="" i w opts
	top=$("$bin" --help 2>/dev/null) || return 0
	local gopts
	gopts=$(_stack_opts "$top")
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [ -z "$cmd" ]; then
			if [[ "$w" == -* ]]; then
				globals+=("$w")
				# An option that takes a value: the next word is it.
				if [[ "$w" != *=* ]] && awk -v o="$w" '$1 == o && $2 != "-" { f = 1 } END { exit !f }' <<<"$gopts"; then
					((i++))
					globals+=("${COMP_WORDS[i]}")
				fi
			else
				cmd=$w
				help=$("$bin" "$cmd" --help 2>/dev/null) || return 0
				if [ -n "$(_stack_names "$help")" ]; then
					sub=pending
				fi
			fi
		elif [ "$sub" = pending ]; then
			sub=$w
			help=$("$bin" "$cmd" "$sub" --help 2>/dev/null) || return 0
		else
			args+=("$w")
		fi
	done

	# Completing the command, or a subcommand.
	if [ -z "$cmd" ] || [ "$sub" = pending ]; then
		local h=$top
		[ -n "$cmd" ] && h=$help
		opts=$(_stack_opts "$h")
		if [ -z "$cmd" ] && [[ "$cur" != -* ]] &&
			awk -v o="$prev" '$1 == o && $2 != "-" { f = 1 } END { exit !f }' <<<"$opts"; then
			_stack_value "$(awk -v o="$prev" '$1 == o { print $2; exit }' <<<"$opts")"
			return 0
		fi
		if [[ "$cur" == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$(awk '{ print $1 }' <<<"$opts")" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_stack_names "$h")" -- "$cur")
		fi
		return 0
	fi

	opts=$(_stack_opts "$help")
	# The value of an option.
	local ph
	ph=$(awk -v o="$prev" '$1 == o { print $2; exit }' <<<"$opts")
	if [ -n "$ph" ] && [ "$ph" != - ] && [[ "$prev" == -* ]]; then
		_stack_value "$ph"
		return 0
	fi
	if [[ "$cur" == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(awk '{ print $1 }' <<<"$opts")" -- "$cur")
		return 0
	fi

	# An argument: the usage line's placeholder for this position (the
	# last one repeats when it ends in "...").  Options already typed and
	# their values are not positions.
	local -a pos=()
	for ((i = 0; i < ${#args[@]}; i++)); do
		w=${args[i]}
		if [[ "$w" == -* ]]; then
			ph=$(awk -v o="$w" '$1 == o { print $2; exit }' <<<"$opts")
			[ -n "$ph" ] && [ "$ph" != - ] && [[ "$w" != *=* ]] && ((i++))
		else
			pos+=("$w")
		fi
	done
	local usage
	usage=$(head -n1 <<<"$help")
	# Drop "Usage: stack CMD [SUB]", bracketed options and "-o FILE".
	usage=$(sed -E 's/^Usage: stack [a-z]+( [a-z]+)? ?//; s/\[-[^]]*\]//g; s/\[OPTIONS\]//g; s/(^| )-[-a-zA-Z]+ [A-Z]+//g' <<<"$usage")
	local -a slots
	read -r -a slots <<<"$(tr -d '[]' <<<"$usage")"
	[ ${#slots[@]} -gt 0 ] || return 0
	local slot=${slots[${#pos[@]}]:-}
	if [ -z "$slot" ] && [[ "${slots[-1]}" == *... ]]; then
		slot=${slots[-1]}
	fi
	slot=${slot%...}
	local words=""
	case "|$slot|" in
	*"|SERVICE|"*) words+=" $("$bin" "${globals[@]}" config --services 2>/dev/null)" ;;&
	*"|IMAGE|"*) words+=" $("$bin" "${globals[@]}" config --images 2>/dev/null)" ;;&
	*"|NAME|"* | *"|SOURCE|"*)
		[ "$cmd" = image ] && words+=" $("$bin" images 2>/dev/null | awk 'NR > 1 { print ($2 == "-" ? $1 : $1 ":" $2) }')"
		;;&
	*"|FILE|"*)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
		;;
	esac
	# shellcheck disable=SC2086
	[ -n "${words// /}" ] && mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
	return 0
}

# _stack_value PLACEHOLDER: complete an option's value.
_stack_value() {
	case "$1" in
	FILE) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
	DIR) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
	SIGNAL) mapfile -t COMPREPLY < <(compgen -W "$(compgen -A signal)" -- "$cur") ;;
	*"|"*) mapfile -t COMPREPLY < <(compgen -W "${1//|/ }" -- "$cur") ;;
	esac
}

complete -F _stack stack
