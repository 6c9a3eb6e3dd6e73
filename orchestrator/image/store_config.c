/* An image as an OCI image config (image-spec config.md), with Docker's
 * Healthcheck and OnBuild, which the OCI spec leaves out and the tools
 * (skopeo, umoci, podman) carry through.
 *
 * The JSON written is canonical, sorted keys and no whitespace, so an
 * image's id (the digest of its config) is the same for the same image on
 * any host.  What is parsed may come from an archive someone sent: every
 * field is type-checked, and the diff ids, which become paths under
 * layers/, must be well-formed digests. */
#include "image/store.h"
#include "util/mem.h"

#include <jansson.h>
#include <string.h>

bool img_digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + 64)
		return false;
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

void img_image_set_label(struct img_image *img, const char *key, const char *value)
{
	for (size_t i = 0; i < img->n_labels; i++)
		if (strcmp(img->labels[i].key, key) == 0) {
			free(img->labels[i].value);
			img->labels[i].value = xstrdup(value);
			return;
		}
	img->labels = xrealloc(img->labels, (img->n_labels + 1) * sizeof(*img->labels));
	img->labels[img->n_labels].key = xstrdup(key);
	img->labels[img->n_labels++].value = xstrdup(value);
}

const char *img_image_label(const struct img_image *img, const char *key)
{
	for (size_t i = 0; i < img->n_labels; i++)
		if (strcmp(img->labels[i].key, key) == 0)
			return img->labels[i].value;
	return NULL;
}

void img_image_free(struct img_image *img)
{
	free(img->name);
	free(img->source);
	strv_free(&img->layers);
	strv_free(&img->env);
	strv_free(&img->entrypoint);
	strv_free(&img->cmd);
	free(img->working_dir);
	free(img->user);
	strv_free(&img->exposed_ports);
	for (size_t i = 0; i < img->n_labels; i++) {
		free(img->labels[i].key);
		free(img->labels[i].value);
	}
	free(img->labels);
	strv_free(&img->healthcheck.test);
	free(img->stop_signal);
	strv_free(&img->volumes);
	strv_free(&img->on_build);
	free(img->created);
	free(img->author);
	for (size_t i = 0; i < img->n_history; i++) {
		free(img->history[i].created);
		free(img->history[i].created_by);
		free(img->history[i].comment);
	}
	free(img->history);
	memset(img, 0, sizeof(*img));
}

/* ---- writing ---- */

static void set_strv(json_t *obj, const char *key, const struct strv *sv)
{
	if (!sv->n)
		return;
	json_t *arr = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(arr, json_string(sv->v[i]));
	json_object_set_new(obj, key, arr);
}

/* A set, as OCI spells it: {"5000/tcp": {}}. */
static void set_set(json_t *obj, const char *key, const struct strv *sv)
{
	if (!sv->n)
		return;
	json_t *set = json_object();
	for (size_t i = 0; i < sv->n; i++)
		json_object_set_new(set, sv->v[i], json_object());
	json_object_set_new(obj, key, set);
}

static void set_str(json_t *obj, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(obj, key, json_string(v));
}

static void set_ns(json_t *obj, const char *key, int64_t v)
{
	if (v)
		json_object_set_new(obj, key, json_integer(v));
}

static json_t *config_object(const struct img_image *img)
{
	json_t *c = json_object();
	set_str(c, "User", img->user);
	set_set(c, "ExposedPorts", &img->exposed_ports);
	set_strv(c, "Env", &img->env);
	set_strv(c, "Entrypoint", &img->entrypoint);
	set_strv(c, "Cmd", &img->cmd);
	set_set(c, "Volumes", &img->volumes);
	set_str(c, "WorkingDir", img->working_dir);
	if (img->n_labels) {
		json_t *l = json_object();
		for (size_t i = 0; i < img->n_labels; i++)
			json_object_set_new(l, img->labels[i].key, json_string(img->labels[i].value));
		json_object_set_new(c, "Labels", l);
	}
	set_str(c, "StopSignal", img->stop_signal);
	set_strv(c, "OnBuild", &img->on_build);
	const struct img_healthcheck *h = &img->healthcheck;
	if (h->test.n) {
		json_t *hc = json_object();
		set_strv(hc, "Test", &h->test);
		set_ns(hc, "Interval", h->interval);
		set_ns(hc, "Timeout", h->timeout);
		set_ns(hc, "StartPeriod", h->start_period);
		set_ns(hc, "StartInterval", h->start_interval);
		set_ns(hc, "Retries", h->retries);
		json_object_set_new(c, "Healthcheck", hc);
	}
	return c;
}

char *img_config_json(const struct img_image *img)
{
	json_t *doc = json_object();
	json_object_set_new(doc, "architecture", json_string("amd64"));
	json_object_set_new(doc, "os", json_string("linux"));
	set_str(doc, "created", img->created);
	set_str(doc, "author", img->author);
	json_object_set_new(doc, "config", config_object(img));
	json_t *diff_ids = json_array();
	for (size_t i = 0; i < img->layers.n; i++)
		json_array_append_new(diff_ids, json_string(img->layers.v[i]));
	json_object_set_new(doc, "rootfs", json_pack("{s:s, s:o}", "type", "layers", "diff_ids", diff_ids));
	if (img->n_history) {
		json_t *hist = json_array();
		for (size_t i = 0; i < img->n_history; i++) {
			const struct img_history *h = &img->history[i];
			json_t *e = json_object();
			set_str(e, "created", h->created);
			set_str(e, "created_by", h->created_by);
			set_str(e, "comment", h->comment);
			if (h->empty_layer)
				json_object_set_new(e, "empty_layer", json_true());
			json_array_append_new(hist, e);
		}
		json_object_set_new(doc, "history", hist);
	}
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	if (!text)
		abort(); /* out of memory, as xmalloc treats it */
	return text;
}

/* ---- reading ---- */

static int bad(st_error_t *err, const char *field, const char *want)
{
	return st_error(err, 0, "image config: `%s` must be %s", field, want);
}

static int get_str(json_t *obj, const char *key, const char *field, char **out, st_error_t *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(err, field, "a string");
	if (*json_string_value(v))
		*out = xstrdup(json_string_value(v));
	return 0;
}

static int get_strv(json_t *obj, const char *key, const char *field, struct strv *out, st_error_t *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return bad(err, field, "an array of strings");
	size_t i;
	json_t *e;
	json_array_foreach (v, i, e) {
		if (!json_is_string(e))
			return bad(err, field, "an array of strings");
		strv_push(out, json_string_value(e));
	}
	return 0;
}

static int get_set(json_t *obj, const char *key, const char *field, struct strv *out, st_error_t *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return bad(err, field, "an object (a set: {\"KEY\": {}})");
	const char *k;
	json_t *e;
	json_object_foreach (v, k, e)
		strv_push(out, k);
	return 0;
}

static int get_int(json_t *obj, const char *key, const char *field, int64_t *out, st_error_t *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(err, field, "a non-negative integer");
	*out = json_integer_value(v);
	return 0;
}

static int parse_config(json_t *c, struct img_image *out, st_error_t *err)
{
	if (!c || json_is_null(c))
		return 0;
	if (!json_is_object(c))
		return bad(err, "config", "an object");
	if (get_str(c, "User", "config.User", &out->user, err) < 0 ||
	    get_set(c, "ExposedPorts", "config.ExposedPorts", &out->exposed_ports, err) < 0 ||
	    get_strv(c, "Env", "config.Env", &out->env, err) < 0 ||
	    get_strv(c, "Entrypoint", "config.Entrypoint", &out->entrypoint, err) < 0 ||
	    get_strv(c, "Cmd", "config.Cmd", &out->cmd, err) < 0 ||
	    get_set(c, "Volumes", "config.Volumes", &out->volumes, err) < 0 ||
	    get_str(c, "WorkingDir", "config.WorkingDir", &out->working_dir, err) < 0 ||
	    get_str(c, "StopSignal", "config.StopSignal", &out->stop_signal, err) < 0 ||
	    get_strv(c, "OnBuild", "config.OnBuild", &out->on_build, err) < 0)
		return -1;
	json_t *labels = json_object_get(c, "Labels");
	if (labels && !json_is_null(labels)) {
		if (!json_is_object(labels))
			return bad(err, "config.Labels", "an object of strings");
		const char *k;
		json_t *v;
		json_object_foreach (labels, k, v) {
			if (!json_is_string(v))
				return bad(err, "config.Labels", "an object of strings");
			img_image_set_label(out, k, json_string_value(v));
		}
	}
	json_t *hc = json_object_get(c, "Healthcheck");
	if (hc && !json_is_null(hc)) {
		struct img_healthcheck *h = &out->healthcheck;
		int64_t retries = 0;
		if (!json_is_object(hc))
			return bad(err, "config.Healthcheck", "an object");
		if (get_strv(hc, "Test", "config.Healthcheck.Test", &h->test, err) < 0 ||
		    get_int(hc, "Interval", "config.Healthcheck.Interval", &h->interval, err) < 0 ||
		    get_int(hc, "Timeout", "config.Healthcheck.Timeout", &h->timeout, err) < 0 ||
		    get_int(hc, "StartPeriod", "config.Healthcheck.StartPeriod", &h->start_period, err) < 0 ||
		    get_int(hc, "StartInterval", "config.Healthcheck.StartInterval", &h->start_interval, err) < 0 ||
		    get_int(hc, "Retries", "config.Healthcheck.Retries", &retries, err) < 0)
			return -1;
		if (retries > 1000000)
			return bad(err, "config.Healthcheck.Retries", "at most 1000000");
		h->retries = (int)retries;
	}
	return 0;
}

static int parse_history(json_t *hist, struct img_image *out, st_error_t *err)
{
	if (!hist || json_is_null(hist))
		return 0;
	if (!json_is_array(hist))
		return bad(err, "history", "an array of objects");
	out->history = xcalloc(json_array_size(hist) + 1, sizeof(*out->history));
	size_t i;
	json_t *e;
	json_array_foreach (hist, i, e) {
		if (!json_is_object(e))
			return bad(err, "history", "an array of objects");
		struct img_history *h = &out->history[out->n_history++];
		json_t *empty = json_object_get(e, "empty_layer");
		if (get_str(e, "created", "history[].created", &h->created, err) < 0 ||
		    get_str(e, "created_by", "history[].created_by", &h->created_by, err) < 0 ||
		    get_str(e, "comment", "history[].comment", &h->comment, err) < 0)
			return -1;
		if (empty && !json_is_boolean(empty))
			return bad(err, "history[].empty_layer", "true or false");
		h->empty_layer = json_is_true(empty);
	}
	return 0;
}

static int parse_doc(json_t *doc, struct img_image *out, st_error_t *err)
{
	if (!json_is_object(doc))
		return bad(err, ".", "an object");
	json_t *os = json_object_get(doc, "os"), *arch = json_object_get(doc, "architecture");
	if ((os && (!json_is_string(os) || strcmp(json_string_value(os), "linux") != 0)) ||
	    (arch && (!json_is_string(arch) || strcmp(json_string_value(arch), "amd64") != 0)))
		return st_error(err, 0, "image config: the image is for %s/%s; stack runs linux/amd64 images",
				json_is_string(os) ? json_string_value(os) : "?",
				json_is_string(arch) ? json_string_value(arch) : "?");
	if (get_str(doc, "created", "created", &out->created, err) < 0 ||
	    get_str(doc, "author", "author", &out->author, err) < 0 ||
	    parse_config(json_object_get(doc, "config"), out, err) < 0 ||
	    parse_history(json_object_get(doc, "history"), out, err) < 0)
		return -1;
	json_t *rootfs = json_object_get(doc, "rootfs");
	json_t *type = json_object_get(rootfs, "type");
	if (!json_is_object(rootfs) || !json_is_string(type) || strcmp(json_string_value(type), "layers") != 0)
		return bad(err, "rootfs", "{\"type\": \"layers\", \"diff_ids\": [...]}");
	if (get_strv(rootfs, "diff_ids", "rootfs.diff_ids", &out->layers, err) < 0)
		return -1;
	for (size_t i = 0; i < out->layers.n; i++)
		if (!img_digest_valid(out->layers.v[i]))
			return st_error(err, 0, "image config: rootfs.diff_ids[%zu] `%.80s` is not a sha256 digest "
					"(\"sha256:\" and 64 lowercase hex digits)", i, out->layers.v[i]);
	return 0;
}

int img_config_parse(const char *json, size_t len, struct img_image *out, st_error_t *err)
{
	memset(out, 0, sizeof(*out));
	json_error_t jerr;
	json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return st_error(err, 0, "image config: line %d: %s", jerr.line, jerr.text);
	int r = parse_doc(doc, out, err);
	json_decref(doc);
	if (r < 0)
		img_image_free(out);
	return r;
}
