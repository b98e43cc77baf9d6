# The function the conformance suite runs on a Python runtime. Module scope (the function's
# init) reads the secret file the extension wrote before the runtime started; each
# invocation reads the secret over HTTP with AWS's documented Python sample for the
# Parameters and Secrets extension (urllib, header X-Aws-Parameters-Secrets-Token).
import json
import os
import stat
import urllib.error
import urllib.request

SECRET_DIR = os.environ.get("SECRET_SIDECAR_DIR", "/tmp/secret-sidecar")
PORT = os.environ.get("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "2773")

# HEAVY_MODULE: import a large module first, as a function importing an SDK would (bench).
if os.environ.get("HEAVY_MODULE"):
    import heavy  # noqa: F401


def get_secret(secret_name, token):
    headers = {} if token is None else {"X-Aws-Parameters-Secrets-Token": token}
    endpoint = "http://localhost:" + PORT + "/secretsmanager/get?secretId=" + secret_name
    try:
        r = urllib.request.Request(endpoint, headers=headers)
        return {"status": 200, "value": json.loads(urllib.request.urlopen(r).read())["SecretString"]}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "type": json.loads(e.read() or b"{}").get("__type")}


def read_at_init():
    if os.environ.get("INIT_READ") == "http":
        # The parallel init mode: the file may not be there yet; the HTTP API waits on the fetch.
        seen = get_secret(os.environ["INIT_SECRET_ID"], os.environ.get("AWS_SESSION_TOKEN"))
        return {"ok": seen["status"] == 200, **seen}
    try:
        path = os.path.join(SECRET_DIR, os.environ["INIT_FILE"])
        with open(path) as f:
            envelope = json.load(f)
        return {"ok": True, "mode": stat.S_IMODE(os.stat(path).st_mode), "value": envelope["value"]}
    except Exception as e:
        return {"ok": False, "error": type(e).__name__}


AT_INIT = read_at_init()


def handler(event, context):
    if event["op"] == "init":
        return AT_INIT
    token = {"good": os.environ.get("AWS_SESSION_TOKEN"), "none": None, "wrong": "not-the-token"}
    return get_secret(event["secretId"], token[event["token"]])
