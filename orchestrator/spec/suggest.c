/* "Did you mean" hints: the candidate with the smallest edit distance.
 *
 * Optimal string alignment distance (Levenshtein plus adjacent
 * transpositions, so "prots" → "ports" costs 1), case-insensitive because
 * `Ports:` is as much a typo as `prots:`. */
#include "spec/units.h"
#include "util/mem.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Words longer than this are not typos of a key; skip them (and bound the work). */
#define SUGGEST_MAX_LEN 64

static size_t osa_distance(const char *a, size_t la, const char *b, size_t lb)
{
	/* Three rolling rows: the transposition looks two rows back. */
	size_t rows[3][SUGGEST_MAX_LEN + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
			size_t cost = ca != cb;
			size_t v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

size_t spec_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
		return SIZE_MAX;
	return osa_distance(a, la, b, lb);
}

const char *spec_suggest(const char *word, const char *const *candidates, size_t n)
{
	if (!word || !*word)
		return NULL;
	size_t lw = strlen(word);
	if (lw > SUGGEST_MAX_LEN)
		return NULL;
	size_t threshold = lw / 3 + 1;
	const char *best = NULL;
	size_t best_d = threshold + 1;
	for (size_t i = 0; i < n; i++) {
		const char *c = candidates[i];
		if (!c)
			continue;
		size_t lc = strlen(c);
		if (lc > SUGGEST_MAX_LEN)
			continue;
		size_t diff = lc > lw ? lc - lw : lw - lc;
		if (diff >= best_d)
			continue;
		size_t d = osa_distance(word, lw, c, lc);
		if (d < best_d) {
			best_d = d;
			best = c;
		}
	}
	/* The word itself is no suggestion; the same word in another case is. */
	return best && strcmp(best, word) ? best : NULL;
}
