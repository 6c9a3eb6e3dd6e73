/* df_parse: physical lines → logical lines → instructions, the way
 * BuildKit's parser.Parse does it: parser directives only at the very top,
 * comments and empty lines dropped (also inside continuations), the escape
 * character ending a line joins the next one, and heredoc bodies that
 * follow an instruction belong to it. */
#include "builder/dockerfile_int.h"
#include "util/mem.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

struct parser {
	struct df_ctx cx;
	struct df_lines lines;
	/* directives */
	bool directives_done;
	bool seen_escape, seen_syntax, seen_check;
	/* what the file holds so far */
	struct df_file *f;
	size_t cap;
	int n_logical;
	int first_line;
	bool seen_from, before_from_reported;
};

static bool is_comment(const char *s) { return *df_skip_space(s) == '#'; }

/* `# name=value` at the top of the file (before anything else, blank lines
 * included) for the names BuildKit knows; anything else ends the
 * directives and is an ordinary comment or instruction. */
static void directive(struct parser *p, const char *t, int lineno)
{
	if (p->directives_done)
		return;
	p->directives_done = true;
	if (*t != '#')
		return;
	const char *k = df_skip_space(t + 1);
	const char *ke = k;
	if (!isalpha((unsigned char)*ke))
		return;
	while (isalnum((unsigned char)*ke))
		ke++;
	const char *v = df_skip_space(ke);
	if (*v != '=')
		return;
	v = df_skip_space(v + 1);
	size_t vl = strlen(v);
	while (vl > 0 && df_is_space(v[vl - 1]))
		vl--;
	if (vl == 0)
		return;
	size_t kl = (size_t)(ke - k);
	bool *seen;
	if (kl == 6 && strncasecmp(k, "escape", 6) == 0)
		seen = &p->seen_escape;
	else if (kl == 6 && strncasecmp(k, "syntax", 6) == 0)
		seen = &p->seen_syntax;
	else if (kl == 5 && strncasecmp(k, "check", 5) == 0)
		seen = &p->seen_check;
	else
		return;
	p->directives_done = false;
	if (*seen) {
		diag_hint(diag_add(p->cx.diags, p->cx.path, lineno, 0, "only one %.*s parser directive can be used",
				   (int)kl, k),
			  "remove the repeated directive");
		return;
	}
	*seen = true;
	if (seen == &p->seen_escape) {
		if (vl == 1 && (v[0] == '\\' || v[0] == '`'))
			p->cx.escape = v[0];
		else
			diag_hint(diag_add(p->cx.diags, p->cx.path, lineno, 0,
					   "invalid escape directive `%.*s`: the escape character must be \\ or `",
					   (int)vl, v),
				  "write # escape=\\ or # escape=`");
	}
}

/* Strip a trailing escape character (and blanks after it); true if the
 * line continues on the next one.  As in BuildKit, an escaped escape
 * character (`\\` at the end) is the character itself, not a
 * continuation: only an odd run of them continues the line. */
static bool continues(struct parser *p, char *s, size_t *len)
{
	size_t n = *len, run = 0;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (run < n && s[n - 1 - run] == p->cx.escape)
		run++;
	if (run % 2 == 1) {
		*len = n - 1;
		return true;
	}
	return false;
}

static void read_heredocs(struct parser *p, struct df_instr *owner, const char *line, int start)
{
	struct df_heredoc *docs;
	size_t n;
	_cleanup_free_ char *msg = NULL;
	if (df_heredocs_from_line(line, &docs, &n, &msg) < 0) {
		diag_hint(diag_add(p->cx.diags, p->cx.path, start, 0, "%s", msg),
			  "write <<EOF, <<-EOF, or <<\"EOF\" for a body that is not expanded");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct df_heredoc *h = &docs[i];
		struct strbuf body = {0};
		bool done = false;
		char *l;
		while (df_lines_next(&p->lines, &l)) {
			const char *term = l;
			if (h->chomp)
				while (*term == '\t')
					term++;
			if (strcmp(term, h->name) == 0) {
				done = true;
				break;
			}
			/* Kept as written: <<- tab stripping, like expansion, is the builder's. */
			strbuf_adds(&body, l);
			strbuf_addc(&body, '\n');
		}
		h->content = strbuf_take(&body);
		if (!done) {
			diag_hint(diag_add(p->cx.diags, p->cx.path, start, 0,
					   "unterminated heredoc: no line `%.*s` before the end of the file",
					   df_clip(h->name), h->name),
				  "end the body with a line holding only %.*s%s", df_clip(h->name), h->name,
				  h->chomp ? " (tabs before it are allowed with <<-)" : "");
		}
	}
	owner->heredocs = docs;
	owner->n_heredocs = n;
}

static void set_lines(struct df_instr *in, int start, int end)
{
	for (; in; in = in->next) {
		in->line = start;
		in->end_line = end;
	}
}

static void instruction(struct parser *p, const char *line, int start)
{
	struct df_instr in = {0};
	bool known = false;
	bool ok = df_instr_parse(&p->cx, line, start, &in, &known);

	struct df_instr *owner = df_instr_heredoc_owner(&in);
	if (owner && strstr(line, "<<"))
		read_heredocs(p, owner, line, start);
	set_lines(&in, start, p->lines.lineno);

	if (p->n_logical++ == 0)
		p->first_line = start;
	if (in.cmd == DF_FROM) {
		p->seen_from = true;
	} else if (known && !p->seen_from && in.cmd != DF_ARG) {
		_cleanup_free_ char *u = df_upper(df_cmd_name(in.cmd));
		diag_hint(diag_add(p->cx.diags, p->cx.path, start, 0, "%s before the first FROM", u),
			  "a Dockerfile starts with FROM; only ARG and comments may come before it");
		p->before_from_reported = true;
		ok = false;
	}
	if (!ok) {
		df_instr_clear(&in);
		return;
	}
	p->f->v = xgrow(p->f->v, &p->cap, p->f->n + 1, sizeof(*p->f->v));
	p->f->v[p->f->n++] = in;
}

int df_parse(const char *path, const char *text, size_t len, struct df_file **out, struct diag_list *diags)
{
	struct parser p = {.cx = {.path = path ? path : "Dockerfile", .escape = '\\', .diags = diags}};
	size_t errors_before = diags->n;
	struct strbuf buf = {0};
	char *raw;

	*out = NULL;
	p.f = xzalloc(sizeof(*p.f));
	p.f->path = xstrdup(p.cx.path);
	df_lines_init(&p.lines, p.cx.path, text, len, diags);

	while (df_lines_next(&p.lines, &raw)) {
		char *t = (char *)df_skip_space(raw);
		directive(&p, t, p.lines.lineno);
		int start = p.lines.lineno;
		size_t n = is_comment(t) ? 0 : strlen(t);
		bool more = continues(&p, t, &n);
		if (!more && n == 0)
			continue;
		strbuf_reset(&buf);
		strbuf_add(&buf, t, n);
		while (more && df_lines_next(&p.lines, &raw)) {
			/* Comments and blank lines inside a continuation are dropped;
			 * they neither end the instruction nor join it. */
			if (is_comment(raw) || !*df_skip_space(raw))
				continue;
			n = strlen(raw);
			more = continues(&p, raw, &n);
			strbuf_add(&buf, raw, n);
		}
		if (!*df_skip_space(buf.s))
			continue; /* only escape characters and blanks */
		instruction(&p, buf.s, start);
	}
	free(buf.s);

	if (p.lines.refused) {
		/* already said why there is nothing to parse */
	} else if (p.n_logical == 0) {
		diag_hint(diag_add(diags, p.cx.path, p.lines.lineno > 0 ? p.lines.lineno : 1, 0,
				   "file with no instructions"),
			  "a Dockerfile needs at least a FROM line");
	} else if (!p.seen_from && !p.before_from_reported) {
		diag_hint(diag_add(diags, p.cx.path, p.first_line, 0, "no FROM instruction"),
			  "a Dockerfile needs at least one FROM to build from");
	}
	p.f->escape = p.cx.escape;
	df_lines_free(&p.lines);
	/* A full diag_list stops counting; treat it as failure too. */
	if (diags->n > errors_before || diag_full(diags)) {
		df_free(p.f);
		return -1;
	}
	*out = p.f;
	return 0;
}

void df_free(struct df_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		df_instr_clear(&f->v[i]);
	free(f->v);
	free(f->path);
	free(f);
}
