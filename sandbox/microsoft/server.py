"""A local Microsoft identity platform + Graph v1.0 (Planner) server over HTTPS.

Faithful enough that ``msal.ConfidentialClientApplication`` (client secret or certificate) and a
plain ``requests`` Graph client work against it unchanged:

- identity: ``/{tenant}/v2.0/.well-known/openid-configuration`` and ``POST
  /{tenant}/oauth2/v2.0/token`` (client credentials; ``client_secret`` or an RS256/PS256
  ``client_assertion`` verified against the registered certificate's thumbprint, ``aud``, ``exp``);
  AADSTS error bodies on failure. Access tokens are opaque and can be expired on demand.
- Graph: groups (``$filter=groupTypes/any(c:c eq 'Unified')``), users, plans, plan details,
  buckets, tasks, task details, ``$batch``; Planner collections page at a fixed size (400) and
  ignore ``$top``; ``@odata.nextLink`` is absolute; 401 in Graph's error shape for missing, unknown
  or expired tokens; faults from :class:`sandbox.http.FaultConfig` come back in Graph's error shape.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from sandbox.http import (
    FaultConfig,
    FaultInjector,
    Router,
    SandboxRequest,
    SandboxResponse,
    SandboxServer,
    json_response,
)
from sandbox.microsoft.world import PlannerWorld
from sandbox.tls import CertificatePair

PLANNER_PAGE_SIZE = 400
DIRECTORY_DEFAULT_PAGE = 100
DIRECTORY_MAX_PAGE = 999
BATCH_LIMIT = 20
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_PLANNER_ID = r"[A-Za-z0-9_-]{28}"
_GUID = r"[0-9a-fA-F-]{36}"
# Identity endpoints are kept out of fault injection: msal gives up on a throttled token call, and
# the faults under test are Graph's.
IDENTITY_PATHS = (r"^/[^/]+/v2\.0/\.well-known/", r"^/[^/]+/oauth2/")


def graph_error(status: int, code: str, message: str, **headers: str) -> SandboxResponse:
    """A Graph v1.0 error response (``{"error": {"code", "message", "innerError"}}``)."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": now,
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }
    return json_response(body, status, **headers)


def aad_error(status: int, error: str, code: int, description: str) -> SandboxResponse:
    """An identity platform error response, as msal hands it back to the caller."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    trace = str(uuid.uuid4())
    return json_response(
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Timestamp: {now}",
            "error_codes": [code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": str(uuid.uuid4()),
        },
        status,
    )


class GraphFaultInjector(FaultInjector):
    """The shared fault schedule, answering in Graph's error shape instead of Jira's."""

    def _error(self) -> SandboxResponse:
        status = self.config.error_status
        headers = {"Retry-After": f"{self.config.retry_after_seconds:g}"} if status == 503 else {}
        code = {500: "generalException", 503: "serviceNotAvailable", 504: "timeout"}.get(
            status, "UnknownError"
        )
        return graph_error(status, code, "The service is temporarily unavailable.", **headers)

    def _rate_limited(self) -> SandboxResponse:
        return graph_error(
            429,
            "TooManyRequests",
            "Too many requests.",
            **{"Retry-After": f"{self.config.retry_after_seconds:g}"},
        )


@dataclasses.dataclass
class ClientCertificate:
    """The app registration's certificate credential (what msal's certificate flow needs)."""

    private_key_pem: str
    certificate_pem: str
    thumbprint: str  # SHA-1, hex upper-case, as the Azure portal shows it
    public_key: Any


def make_client_certificate(common_name: str = "pmo-hub-sandbox-app") -> ClientCertificate:
    """Generate a self-signed client certificate and its thumbprint."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return ClientCertificate(
        private_key_pem=pem,
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        thumbprint=cert.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S324 - x5t is SHA-1
        public_key=key.public_key(),
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class MicrosoftSandbox:
    """The running identity + Graph server and the app registration's credentials."""

    def __init__(
        self,
        world: PlannerWorld,
        *,
        tls: CertificatePair,
        faults: FaultConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        page_size: int = PLANNER_PAGE_SIZE,
        token_lifetime_seconds: int = 3599,
    ) -> None:
        self.world = world
        self.tenant_id = world.tenant_id
        self.client_id = str(uuid.uuid4())
        # Shaped like an Entra secret value ("abc8Q~..."), random per server.
        self.client_secret = secrets.token_urlsafe(6)[:3] + "8Q~" + secrets.token_urlsafe(30)[:37]
        self.client_certificate = make_client_certificate()
        self.page_size = page_size
        self.token_lifetime_seconds = token_lifetime_seconds
        self.tokens_issued = 0
        self._tokens: dict[str, float] = {}  # access token -> expiry (epoch seconds)
        self._token_lock = threading.Lock()
        self.cert_path = tls.cert_path
        self._started = False
        config = dataclasses.replace(
            faults or FaultConfig(),
            exempt_paths=tuple(faults.exempt_paths if faults else ()) + IDENTITY_PATHS,
        )
        self.router = Router()
        self._routes()
        self.server = SandboxServer(
            self.router, name="microsoft-sandbox", host=host, port=port, tls=tls
        )
        self.server.faults = GraphFaultInjector(config)
        # Headers and body go out in separate writes; without TCP_NODELAY every keep-alive
        # response waits ~40 ms for a delayed ACK. The handler class is per server instance.
        self.server._httpd.RequestHandlerClass.disable_nagle_algorithm = True

    # -- public ----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``https://localhost:PORT``."""
        return self.server.url

    @property
    def authority(self) -> str:
        """The msal authority: ``https://localhost:PORT/<tenant id>``."""
        return f"{self.base_url}/{self.tenant_id}"

    @property
    def graph_url(self) -> str:
        """Graph's base URL: ``https://localhost:PORT/v1.0``."""
        return f"{self.base_url}/v1.0"

    @property
    def token_endpoint(self) -> str:
        """The token endpoint a client assertion's ``aud`` must name."""
        return f"{self.authority}/oauth2/v2.0/token"

    @property
    def client_cert_private_key_pem(self) -> str:
        """PEM private key of the registered client certificate."""
        return self.client_certificate.private_key_pem

    @property
    def client_cert_thumbprint(self) -> str:
        """SHA-1 thumbprint (hex) of the registered client certificate."""
        return self.client_certificate.thumbprint

    @property
    def faults(self) -> FaultConfig:
        """The live fault configuration; tests may change it between requests."""
        return self.server.faults.config

    def expire_all_tokens(self) -> None:
        """Expire every access token issued so far, as if an hour had passed mid-sync."""
        with self._token_lock:
            for token in self._tokens:
                self._tokens[token] = 0.0

    def request_count(self, pattern: str) -> int:
        """Requests whose ``"METHOD /path"`` matches the regex ``pattern`` (``$batch`` items too)."""
        regex = re.compile(pattern)
        with self.server._counts_lock:
            return sum(n for key, n in self.server.request_counts.items() if regex.search(key))

    def start(self) -> MicrosoftSandbox:
        """Start serving in a background thread (idempotent)."""
        if not self._started:
            self.server.start()
            self._started = True
        return self

    def stop(self) -> None:
        """Stop the server."""
        self.server.stop()

    def __enter__(self) -> MicrosoftSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- routing ---------------------------------------------------------------------------------

    def _routes(self) -> None:
        r = self.router
        r.add("GET", r"/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration", self._openid)
        r.add("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token", self._token)
        g = "/v1.0"
        r.add("POST", rf"{g}/\$batch", self._auth(self._batch))
        r.add("GET", rf"{g}/groups", self._auth(self._groups))
        r.add("GET", rf"{g}/groups/(?P<gid>{_GUID})", self._auth(self._group))
        r.add("GET", rf"{g}/groups/(?P<gid>{_GUID})/planner/plans", self._auth(self._group_plans))
        r.add("GET", rf"{g}/planner/plans/(?P<pid>{_PLANNER_ID})", self._auth(self._plan))
        r.add(
            "GET",
            rf"{g}/planner/plans/(?P<pid>{_PLANNER_ID})/details",
            self._auth(self._plan_details),
        )
        r.add(
            "GET", rf"{g}/planner/plans/(?P<pid>{_PLANNER_ID})/buckets", self._auth(self._buckets)
        )
        r.add("GET", rf"{g}/planner/plans/(?P<pid>{_PLANNER_ID})/tasks", self._auth(self._tasks))
        r.add("GET", rf"{g}/planner/tasks/(?P<tid>{_PLANNER_ID})", self._auth(self._task))
        r.add(
            "GET",
            rf"{g}/planner/tasks/(?P<tid>{_PLANNER_ID})/details",
            self._auth(self._task_details),
        )
        r.add("GET", rf"{g}/users", self._auth(self._users))
        r.add("GET", rf"{g}/users/(?P<uid>[^/]+)", self._auth(self._user))

    # -- identity --------------------------------------------------------------------------------

    def _wrong_tenant(self, request: SandboxRequest) -> SandboxResponse | None:
        if request.params["tenant"] == self.tenant_id:
            return None
        return aad_error(
            400,
            "invalid_tenant",
            90002,
            f"Tenant '{request.params['tenant']}' not found. Check to make sure you have the correct tenant ID.",
        )

    def _openid(self, request: SandboxRequest) -> SandboxResponse:
        if (error := self._wrong_tenant(request)) is not None:
            return error
        base = self.authority
        return json_response(
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{base}/v2.0",
                "request_uri_parameter_supported": False,
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
            }
        )

    def _token(self, request: SandboxRequest) -> SandboxResponse:
        if (error := self._wrong_tenant(request)) is not None:
            return error
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            return aad_error(
                400,
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type; the sandbox supports client_credentials.",
            )
        if form.get("client_id") != self.client_id:
            return aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found in the "
                f"directory '{self.tenant_id}'.",
            )
        if not form.get("scope", "").endswith("/.default"):
            return aad_error(
                400,
                "invalid_scope",
                1002012,
                "The provided value for scope is not valid. Client credential flows must have a "
                "scope value with /.default suffixed to the resource identifier (application ID URI).",
            )
        if "client_assertion" in form:
            failure = self._check_assertion(form)
        elif "client_secret" in form:
            ok = hmac.compare_digest(form["client_secret"].encode(), self.client_secret.encode())
            failure = (
                None
                if ok
                else aad_error(
                    401,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request "
                    "is the client secret value, not the client secret ID, for a secret added to "
                    f"app '{self.client_id}'.",
                )
            )
        else:
            failure = aad_error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.",
            )
        if failure is not None:
            return failure
        token = secrets.token_urlsafe(48)
        with self._token_lock:
            self._tokens[token] = time.time() + self.token_lifetime_seconds
            self.tokens_issued += 1
        return json_response(
            {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime_seconds,
                "ext_expires_in": self.token_lifetime_seconds,
                "access_token": token,
            }
        )

    def _check_assertion(self, form: dict[str, str]) -> SandboxResponse | None:
        def invalid(code: int, text: str) -> SandboxResponse:
            return aad_error(401, "invalid_client", code, text)

        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return aad_error(400, "invalid_request", 90014, "client_assertion_type is invalid.")
        assertion = form["client_assertion"]
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return invalid(50027, "JWT token is invalid or malformed.")
        cert_der = x509.load_pem_x509_certificate(
            self.client_certificate.certificate_pem.encode()
        ).public_bytes(serialization.Encoding.DER)
        expected = {
            "x5t": _b64url(hashlib.sha1(cert_der).digest()),  # noqa: S324 - x5t is SHA-1
            "x5t#S256": _b64url(hashlib.sha256(cert_der).digest()),
        }
        # msal keeps the base64 padding that RFC 7515 drops; accept both spellings.
        if not any(str(header.get(k, "")).rstrip("=") == v for k, v in expected.items()):
            return invalid(
                700027,
                f"The certificate with identifier used to sign the client assertion is not "
                f"registered on application. [Reason - The key was not found., Please visit the "
                f"Azure Portal, Graph Explorer or directly use MS Graph to see configured keys "
                f"for app Id '{self.client_id}'.]",
            )
        try:
            claims = jwt.decode(
                assertion,
                self.client_certificate.public_key,
                algorithms=["RS256", "PS256"],
                audience=self.token_endpoint,
                options={"require": ["exp", "aud", "iss", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            return invalid(700024, "Client assertion is not within its valid time range.")
        except jwt.InvalidAudienceError:
            return invalid(
                700212,
                "No matching federated identity record found for presented assertion audience.",
            )
        except jwt.PyJWTError:
            return invalid(700027, "Client assertion failed signature validation.")
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            return invalid(
                700023, "Client assertion issuer or subject does not match the client id."
            )
        return None

    # -- Graph helpers ---------------------------------------------------------------------------

    def _auth(self, handler: Any) -> Any:
        def wrapped(request: SandboxRequest) -> SandboxResponse:
            header = request.header("authorization") or ""
            www = {
                "WWW-Authenticate": 'Bearer realm="", authorization_uri='
                f'"{self.authority}/oauth2/authorize", '
                'client_id="00000003-0000-0000-c000-000000000000"'
            }
            if not header.lower().startswith("bearer ") or not header[7:].strip():
                return graph_error(
                    401, "InvalidAuthenticationToken", "Access token is empty.", **www
                )
            token = header[7:].strip()
            with self._token_lock:
                expiry = self._tokens.get(token)
            if expiry is None:
                return graph_error(
                    401,
                    "InvalidAuthenticationToken",
                    "IDX14100: JWT is not well formed, there are no dots (.).",
                    **www,
                )
            if expiry <= time.time():
                return graph_error(
                    401,
                    "InvalidAuthenticationToken",
                    "Lifetime validation failed, the token is expired.",
                    **www,
                )
            with self.world.lock:
                return handler(request)

        return wrapped

    def _not_found(self, what: str) -> SandboxResponse:
        return graph_error(
            404,
            "NotFound" if what != "user" else "Request_ResourceNotFound",
            f"The requested {what} was not found.",
        )

    @staticmethod
    def _select(item: dict[str, Any], request: SandboxRequest) -> dict[str, Any]:
        select = request.arg("$select")
        if not select:
            return copy.deepcopy(item)
        keep = {s.strip() for s in select.split(",")} | {"@odata.etag"}
        return copy.deepcopy({k: v for k, v in item.items() if k in keep})

    def _single(
        self, request: SandboxRequest, item: dict[str, Any], context: str
    ) -> SandboxResponse:
        body = {"@odata.context": f"{self.graph_url}/$metadata#{context}/$entity"}
        body.update(self._select(item, request))
        return json_response(body)

    def _page(
        self,
        request: SandboxRequest,
        items: list[dict[str, Any]],
        context: str,
        *,
        fixed_page: bool,
    ) -> SandboxResponse:
        token = request.arg("$skiptoken")
        offset = 0
        if token:
            try:
                offset = int(
                    base64.urlsafe_b64decode(token.encode() + b"==").decode().split(":")[1]
                )
            except (ValueError, IndexError):
                return graph_error(400, "BadRequest", "Invalid $skiptoken.")
        if fixed_page:
            size = self.page_size  # Planner ignores $top
        else:
            size = min(request.int_arg("$top", DIRECTORY_DEFAULT_PAGE), DIRECTORY_MAX_PAGE)
        page = items[offset : offset + size]
        body: dict[str, Any] = {"@odata.context": f"{self.graph_url}/$metadata#{context}"}
        if offset + size < len(items):
            params = [(k, v[0]) for k, v in request.query.items() if k != "$skiptoken"]
            params.append(
                ("$skiptoken", _b64url(f"RID:{offset + size}:{uuid.uuid4().hex[:8]}".encode()))
            )
            body["@odata.nextLink"] = (
                f"{self.base_url}{request.path}?{urlencode(params, safe='$(),/:')}"
            )
        body["value"] = [self._select(item, request) for item in page]
        return json_response(body)

    # -- Graph resources -------------------------------------------------------------------------

    _GROUP_FILTER = re.compile(r"^groupTypes/any\((\w+):\1 eq '(\w+)'\)$")

    def _groups(self, request: SandboxRequest) -> SandboxResponse:
        groups = self.world.groups
        flt = request.arg("$filter")
        if flt:
            match = self._GROUP_FILTER.match(flt.strip())
            if not match:
                return graph_error(400, "Request_UnsupportedQuery", f"Unsupported query: {flt}")
            groups = [g for g in groups if match.group(2) in g["groupTypes"]]
        return self._page(request, groups, "groups", fixed_page=False)

    def _group(self, request: SandboxRequest) -> SandboxResponse:
        group = next((g for g in self.world.groups if g["id"] == request.params["gid"]), None)
        if group is None:
            return self._not_found("group")
        return self._single(request, group, "groups")

    def _group_plans(self, request: SandboxRequest) -> SandboxResponse:
        gid = request.params["gid"]
        if not any(g["id"] == gid for g in self.world.groups):
            return self._not_found("group")
        plans = self.world.plans_for_group(gid)
        return self._page(request, plans, "planner/plans", fixed_page=True)

    def _plan(self, request: SandboxRequest) -> SandboxResponse:
        plan = self.world.plans.get(request.params["pid"])
        if plan is None:
            return self._not_found("plan")
        return self._single(request, plan, "planner/plans")

    def _plan_details(self, request: SandboxRequest) -> SandboxResponse:
        details = self.world.plan_details.get(request.params["pid"])
        if details is None:
            return self._not_found("plan")
        return self._single(request, details, "planner/plans('x')/details")

    def _buckets(self, request: SandboxRequest) -> SandboxResponse:
        pid = request.params["pid"]
        if pid not in self.world.plans:
            return self._not_found("plan")
        return self._page(
            request, self.world.buckets[pid], "planner/plans('x')/buckets", fixed_page=True
        )

    def _tasks(self, request: SandboxRequest) -> SandboxResponse:
        pid = request.params["pid"]
        if pid not in self.world.plans:
            return self._not_found("plan")
        return self._page(
            request, self.world.tasks_for_plan(pid), "planner/plans('x')/tasks", fixed_page=True
        )

    def _task(self, request: SandboxRequest) -> SandboxResponse:
        task = self.world.tasks.get(request.params["tid"])
        if task is None:
            return self._not_found("task")
        return self._single(request, task, "planner/tasks")

    def _task_details(self, request: SandboxRequest) -> SandboxResponse:
        tid = request.params["tid"]
        if tid not in self.world.tasks:
            return self._not_found("task")
        return self._single(request, self.world.task_details[tid], "planner/tasks('x')/details")

    def _users(self, request: SandboxRequest) -> SandboxResponse:
        return self._page(request, self.world.users, "users", fixed_page=False)

    def _user(self, request: SandboxRequest) -> SandboxResponse:
        key = request.params["uid"]
        user = next((u for u in self.world.users if key in (u["id"], u["userPrincipalName"])), None)
        if user is None:
            return self._not_found("user")
        return self._single(request, user, "users")

    def _batch(self, request: SandboxRequest) -> SandboxResponse:
        try:
            payload = request.json() or {}
            items = payload["requests"]
        except (ValueError, KeyError, TypeError):
            return graph_error(400, "BadRequest", "Invalid batch payload.")
        if len(items) > BATCH_LIMIT:
            return graph_error(400, "BadRequest", f"Limit of {BATCH_LIMIT} requests exceeded.")
        responses = []
        for item in items:
            method = str(item.get("method", "GET")).upper()
            split = urlsplit("/v1.0/" + str(item.get("url", "")).lstrip("/"))
            inner = SandboxRequest(
                method=method,
                path=split.path,
                query=parse_qs(split.query, keep_blank_values=True),
                headers={
                    **request.headers,
                    **{k.lower(): v for k, v in (item.get("headers") or {}).items()},
                },
                body=b"",
            )
            with self.server._counts_lock:
                self.server.request_counts[f"{method} {split.path}"] += 1
            # Graph throttles the requests inside a batch one by one.
            result = self.server.faults.check(split.path) or self.router.dispatch(inner)
            headers = {"Content-Type": "application/json"}
            headers.update(result.headers)
            responses.append(
                {
                    "id": item.get("id"),
                    "status": result.status,
                    "headers": headers,
                    "body": result.body,
                }
            )
        return json_response({"responses": responses})


def start_microsoft_server(
    world: PlannerWorld,
    *,
    tls: CertificatePair,
    faults: FaultConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    page_size: int = PLANNER_PAGE_SIZE,
    token_lifetime_seconds: int = 3599,
) -> MicrosoftSandbox:
    """Start the identity + Graph sandbox for ``world`` on a free loopback port.

    Args:
        world: the Planner world to serve (``generate_planner``).
        tls: the HTTPS certificate; clients trust ``tls.cert_path``.
        faults: 429/5xx/latency schedule for Graph requests (identity endpoints are exempt).
        host: interface to bind.
        port: 0 picks a free port.
        page_size: Planner's fixed page size (400 like the service; tests may lower it).
        token_lifetime_seconds: ``expires_in`` of issued access tokens.

    Returns:
        The started sandbox; use it as a context manager or call ``stop()``.
    """
    sandbox = MicrosoftSandbox(
        world,
        tls=tls,
        faults=faults,
        host=host,
        port=port,
        page_size=page_size,
        token_lifetime_seconds=token_lifetime_seconds,
    )
    return sandbox.start()
