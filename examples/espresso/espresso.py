"""espresso: the small Flask app of the seed notes.

Its settings (a greeting and Flask's SECRET_KEY) are read from
/espresso/.env, which the stack mounts read-only from the host's ./.env as a
secret: configuration and secrets are never baked into an image.

Written for Flask 1.1.2 (requirements.txt) and Flask 2.2 (Debian bookworm's
python3-flask, which the images install because PyPI is unreachable here):
it uses only the API both share.

Two fault switches, for trying out the stack's health checks and limits
(tests/cli/e2e_espresso_faults.bats uses both):

- /health answers 503 while the file /tmp/espresso-unhealthy exists
  (ESPRESSO_UNHEALTHY_FILE names another path); in the container:
  `stack exec espresso touch /tmp/espresso-unhealthy`.  The health check
  then restarts the container, which starts from its image's files again:
  the file is gone and the app healthy.
- With DEBUG_ALLOC=1 in .env, GET /debug/alloc/MB makes the app itself hold
  MB MiB for the request (off by default: it is a way to be OOM-killed).
"""
import os
import secrets

from flask import Flask, jsonify

ENV_FILE = os.environ.get("ESPRESSO_ENV_FILE", "/espresso/.env")
UNHEALTHY_FILE = os.environ.get("ESPRESSO_UNHEALTHY_FILE", "/tmp/espresso-unhealthy")


def read_env(path):
    """KEY=VALUE lines; blank lines, comments and `export ` prefixes allowed,
    values may be quoted.  A missing file gives no settings (the app still
    starts and /health says what is missing)."""
    settings = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#") or "=" not in line:
                    continue
                key, _, value = line.partition("=")
                key = key.strip()
                if key.startswith("export "):
                    key = key[len("export "):].strip()
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                    value = value[1:-1]
                settings[key] = value
    except FileNotFoundError:
        pass
    return settings


settings = read_env(ENV_FILE)

app = Flask(__name__)
# Without a configured key, sessions still work for this process's lifetime.
app.config["SECRET_KEY"] = settings.get("SECRET_KEY") or secrets.token_hex(32)


@app.route("/")
def index():
    return jsonify(message=settings.get("GREETING", "Hello from espresso"))


@app.route("/health")
def health():
    # 200 as long as the app serves requests and nobody made it sick (see
    # the module comment); says whether the settings file was found,
    # without ever showing its values.
    if os.path.exists(UNHEALTHY_FILE):
        return jsonify(status="unhealthy", reason=UNHEALTHY_FILE + " exists"), 503
    return jsonify(status="ok", settings_loaded=bool(settings))


@app.route("/debug/alloc/<int:mb>")
def debug_alloc(mb):
    # Off unless .env says DEBUG_ALLOC=1: allocates and touches MB MiB in
    # this process (bytes of 1, not zero pages the kernel may leave
    # unbacked), so a memory limit is reached by the app and not by a
    # helper process.
    if settings.get("DEBUG_ALLOC") != "1":
        return jsonify(error="not enabled: set DEBUG_ALLOC=1 in .env"), 404
    held = [b"\x01" * (1 << 20) for _ in range(mb)]
    return jsonify(allocated_mb=len(held))


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
