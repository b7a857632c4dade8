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
import json
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
from sandbox.microsoft.graph_schema import ENTITY_PROPERTIES, EXPANDABLE
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
        self.router = Router(error=self._router_error)
        self._routes()
        self.server = SandboxServer(
            self.router, name="microsoft-sandbox", host=host, port=port, tls=tls
        )
        self.server.faults = GraphFaultInjector(config)
        self.server.response_hook = _graph_headers
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
        self._protocol_routes(g)

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

    def _select(self, item: dict[str, Any], request: SandboxRequest) -> dict[str, Any]:
        select = request.arg("$select")
        out = copy.deepcopy(item)
        if select:
            keep = {s.strip() for s in select.split(",")} | {"@odata.etag"}
            out = {k: v for k, v in out.items() if k in keep}
        if self._expand(request) and "planId" in item and "bucketId" in item:
            out["details"] = copy.deepcopy(self.world.task_details[item["id"]])
        return out

    @staticmethod
    def _expand(request: SandboxRequest) -> set[str]:
        raw = request.arg("$expand") or ""
        return {re.sub(r"\(.*\)$", "", part.strip()) for part in raw.split(",") if part.strip()}

    def _query_error(self, request: SandboxRequest, entity: str | None) -> SandboxResponse | None:
        """Graph's 400 for a $select/$expand of a property the entity type does not have."""
        if entity is None:
            return None
        known = ENTITY_PROPERTIES[entity]
        for name in (s.strip() for s in (request.arg("$select") or "").split(",")):
            if name and name not in known:
                return graph_error(
                    400,
                    "BadRequest",
                    f"Could not find a property named '{name}' on type 'microsoft.graph.{entity}'.",
                )
        for name in self._expand(request):
            if name not in EXPANDABLE.get(entity, ()):
                return graph_error(
                    400,
                    "BadRequest",
                    f"Could not find a property named '{name}' on type 'microsoft.graph.{entity}'.",
                )
            if name != "details":
                return graph_error(
                    400, "BadRequest", f"Expanding '{name}' is not supported by the sandbox."
                )
        return None

    def _single(
        self,
        request: SandboxRequest,
        item: dict[str, Any],
        context: str,
        entity: str | None = None,
    ) -> SandboxResponse:
        if (error := self._query_error(request, entity)) is not None:
            return error
        body = {"@odata.context": f"{self.graph_url}/$metadata#{context}/$entity"}
        body.update(self._select(item, request))
        response = json_response(body)
        if item.get("@odata.etag"):
            response.headers["ETag"] = item["@odata.etag"]
        return response

    def _page(
        self,
        request: SandboxRequest,
        items: list[dict[str, Any]],
        context: str,
        *,
        fixed_page: bool,
        entity: str | None = None,
    ) -> SandboxResponse:
        if (error := self._query_error(request, entity)) is not None:
            return error
        count = (request.arg("$count") or "").lower() == "true"
        directory = entity in ("group", "user")
        if count and directory and (request.header("consistencylevel") or "") != "eventual":
            # Counting directory objects is an advanced query: it needs ConsistencyLevel.
            return graph_error(
                400,
                "Request_BadRequest",
                "$count on directory objects is an advanced query: send the header "
                "'ConsistencyLevel: eventual' with it.",
            )
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
        if count:
            body["@odata.count"] = len(items)
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
        return self._page(request, groups, "groups", fixed_page=False, entity="group")

    def _group(self, request: SandboxRequest) -> SandboxResponse:
        group = next((g for g in self.world.groups if g["id"] == request.params["gid"]), None)
        if group is None:
            return self._not_found("group")
        return self._single(request, group, "groups", "group")

    def _group_plans(self, request: SandboxRequest) -> SandboxResponse:
        gid = request.params["gid"]
        if not any(g["id"] == gid for g in self.world.groups):
            return self._not_found("group")
        plans = self.world.plans_for_group(gid)
        return self._page(request, plans, "planner/plans", fixed_page=True, entity="plannerPlan")

    def _plan(self, request: SandboxRequest) -> SandboxResponse:
        plan = self.world.plans.get(request.params["pid"])
        if plan is None:
            return self._not_found("plan")
        return self._single(request, plan, "planner/plans", "plannerPlan")

    def _plan_details(self, request: SandboxRequest) -> SandboxResponse:
        details = self.world.plan_details.get(request.params["pid"])
        if details is None:
            return self._not_found("plan")
        return self._single(request, details, "planner/plans('x')/details", "plannerPlanDetails")

    def _buckets(self, request: SandboxRequest) -> SandboxResponse:
        pid = request.params["pid"]
        if pid not in self.world.plans:
            return self._not_found("plan")
        return self._page(
            request,
            self.world.buckets[pid],
            "planner/plans('x')/buckets",
            fixed_page=True,
            entity="plannerBucket",
        )

    def _tasks(self, request: SandboxRequest) -> SandboxResponse:
        pid = request.params["pid"]
        if pid not in self.world.plans:
            return self._not_found("plan")
        return self._page(
            request,
            self.world.tasks_for_plan(pid),
            "planner/plans('x')/tasks",
            fixed_page=True,
            entity="plannerTask",
        )

    def _task(self, request: SandboxRequest) -> SandboxResponse:
        task = self.world.tasks.get(request.params["tid"])
        if task is None:
            return self._not_found("task")
        return self._single(request, task, "planner/tasks", "plannerTask")

    def _task_details(self, request: SandboxRequest) -> SandboxResponse:
        tid = request.params["tid"]
        if tid not in self.world.tasks:
            return self._not_found("task")
        return self._single(
            request,
            self.world.task_details[tid],
            "planner/tasks('x')/details",
            "plannerTaskDetails",
        )

    def _users(self, request: SandboxRequest) -> SandboxResponse:
        return self._page(request, self.world.users, "users", fixed_page=False, entity="user")

    def _user(self, request: SandboxRequest) -> SandboxResponse:
        key = request.params["uid"]
        user = next((u for u in self.world.users if key in (u["id"], u["userPrincipalName"])), None)
        if user is None:
            return self._not_found("user")
        return self._single(request, user, "users", "user")

    def _batch_path(self, url: str) -> str:
        """A $batch item's URL as a server path: relative to the version root, or absolute."""
        if url.startswith(("https://", "http://")):
            return urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "")
        relative = url.lstrip("/")
        # The official SDK's relative URLs keep the version segment (msgraph-core 1.5 fails to
        # strip it), and Graph accepts them: '/v1.0/planner/tasks/x' and 'planner/tasks/x' alike.
        if relative.startswith("v1.0/"):
            return "/" + relative
        return "/v1.0/" + relative

    def _batch(self, request: SandboxRequest) -> SandboxResponse:
        try:
            payload = request.json() or {}
            items = payload["requests"]
        except (ValueError, KeyError, TypeError):
            return graph_error(400, "BadRequest", "Invalid batch payload.")
        if len(items) > BATCH_LIMIT:
            return graph_error(400, "BadRequest", f"Limit of {BATCH_LIMIT} requests exceeded.")
        seen_ids = [str(item.get("id")) for item in items]
        if len(set(seen_ids)) != len(seen_ids):
            return graph_error(400, "BadRequest", "Batch request contains duplicate ids.")
        responses = []
        for item in items:
            method = str(item.get("method", "GET")).upper()
            split = urlsplit(self._batch_path(str(item.get("url", ""))))
            inner_body = item.get("body")
            inner = SandboxRequest(
                method=method,
                path=split.path,
                query=parse_qs(split.query, keep_blank_values=True),
                headers={
                    **request.headers,
                    **{k.lower(): v for k, v in (item.get("headers") or {}).items()},
                },
                body=json.dumps(inner_body).encode() if inner_body is not None else b"",
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
                    **({"body": result.body} if result.body is not None else {}),
                }
            )
        return json_response({"responses": responses})

    # -- protocol: errors, /me, malformed ids, PATCH with If-Match (issue 12) --------------------
    # Kept in one block so parallel edits of the read handlers above merge cleanly.

    def _protocol_routes(self, g: str) -> None:
        r = self.router
        r.add("GET", rf"{g}/planner/buckets/(?P<bid>{_PLANNER_ID})", self._auth(self._bucket))
        r.add(
            "GET",
            rf"{g}/planner/buckets/(?P<bid>{_PLANNER_ID})/tasks",
            self._auth(self._bucket_tasks),
        )
        r.add("PATCH", rf"{g}/planner/tasks/(?P<tid>{_PLANNER_ID})", self._auth(self._patch_task))
        r.add(
            "PATCH",
            rf"{g}/planner/tasks/(?P<tid>{_PLANNER_ID})/details",
            self._auth(self._patch_task_details),
        )
        # /me needs a signed-in user; an app-only token gets Graph's 400.
        r.add("GET", rf"{g}/me(?:/.*)?", self._auth(self._me))
        # Ids that cannot be ids: Graph answers 400 before looking anything up.
        r.add(
            "GET",
            rf"{g}/groups/(?P<bad>(?!{_GUID}(?:/|$))[^/]+)(?:/.*)?",
            self._auth(self._bad_object_id),
        )
        r.add(
            "GET",
            rf"{g}/planner/(?:tasks|plans|buckets)/(?P<bad>(?!{_PLANNER_ID}(?:/|$))[^/]+)(?:/.*)?",
            self._auth(self._bad_planner_id),
        )

    def _router_error(self, status: int, message: str, request: SandboxRequest) -> SandboxResponse:
        """Graph's answers outside any route: unknown segment 400, wrong method 405, bug 500."""
        if status == 405:
            return graph_error(
                405,
                "Request_BadRequest",
                "Specified HTTP method is not allowed for the request target.",
            )
        if status == 500:
            return graph_error(500, "generalException", message)
        segments = [s for s in request.path.split("/") if s]
        if not segments or segments[0] != "v1.0":
            return graph_error(400, "BadRequest", "Invalid version.")
        unknown = segments[1] if len(segments) > 1 else ""
        return graph_error(400, "BadRequest", f"Resource not found for the segment '{unknown}'.")

    def _me(self, request: SandboxRequest) -> SandboxResponse:
        return graph_error(
            400, "BadRequest", "/me request is only valid with delegated authentication flow."
        )

    def _bad_object_id(self, request: SandboxRequest) -> SandboxResponse:
        return graph_error(
            400, "Request_BadRequest", f"Invalid object identifier '{request.params['bad']}'."
        )

    def _bad_planner_id(self, request: SandboxRequest) -> SandboxResponse:
        return graph_error(
            400,
            "BadRequest",
            f"The request is invalid: '{request.params['bad']}' is not a valid Planner id.",
        )

    def _bucket(self, request: SandboxRequest) -> SandboxResponse:
        for buckets in self.world.buckets.values():
            for bucket in buckets:
                if bucket["id"] == request.params["bid"]:
                    return self._single(request, bucket, "planner/buckets", "plannerBucket")
        return self._not_found("bucket")

    def _bucket_tasks(self, request: SandboxRequest) -> SandboxResponse:
        bid = request.params["bid"]
        if not any(b["id"] == bid for bs in self.world.buckets.values() for b in bs):
            return self._not_found("bucket")
        tasks = [t for t in self.world.tasks.values() if t["bucketId"] == bid]
        return self._page(
            request,
            tasks,
            "planner/buckets('x')/tasks",
            fixed_page=True,
            entity="plannerTask",
        )

    # Properties a client may PATCH (the rest are computed by Planner).
    _WRITABLE = {
        "plannerTask": ENTITY_PROPERTIES["plannerTask"]
        - {
            "id",
            "planId",
            "createdBy",
            "createdDateTime",
            "completedBy",
            "completedDateTime",
            "activeChecklistItemCount",
            "checklistItemCount",
            "referenceCount",
            "hasDescription",
        },
        "plannerTaskDetails": ENTITY_PROPERTIES["plannerTaskDetails"] - {"id"},
    }

    def _patch(
        self,
        request: SandboxRequest,
        item: dict[str, Any],
        entity: str,
        etag_prefix: str,
        context: str,
    ) -> SandboxResponse:
        """Planner's optimistic concurrency: If-Match is required and must be the current etag."""
        if_match = request.header("if-match")
        if not if_match:
            return graph_error(
                400, "BadRequest", "The If-Match header must be specified for this kind of request."
            )
        if if_match != "*" and if_match != item["@odata.etag"]:
            return graph_error(
                412,
                "PreconditionFailed",
                "The resource has been modified since it was read: the If-Match etag is stale.",
            )
        try:
            changes = request.json()
        except ValueError:
            return graph_error(400, "BadRequest", "Invalid request body: not JSON.")
        if not isinstance(changes, dict):
            return graph_error(400, "BadRequest", "Invalid request body: expected a JSON object.")
        for name in changes:
            if name not in self._WRITABLE[entity]:
                known = name in ENTITY_PROPERTIES[entity]
                return graph_error(
                    400,
                    "BadRequest",
                    f"Property '{name}' is read-only on type 'microsoft.graph.{entity}'."
                    if known
                    else f"Invalid request body: the property '{name}' does not exist on type "
                    f"'microsoft.graph.{entity}'.",
                )
        self._apply(item, changes, entity)
        item["@odata.etag"] = self.world.next_etag(etag_prefix)
        headers = {"ETag": item["@odata.etag"]}
        if "return=representation" in (request.header("prefer") or ""):
            body = {"@odata.context": f"{self.graph_url}/$metadata#{context}/$entity"}
            body.update(copy.deepcopy(item))
            return json_response(body, 200, **headers)
        return SandboxResponse(status=204, body=None, headers=headers)

    def _apply(self, item: dict[str, Any], changes: dict[str, Any], entity: str) -> None:
        for name, value in changes.items():
            if isinstance(value, dict) and isinstance(item.get(name), dict):
                # Open types (assignments, checklist, references): null removes a key.
                merged = dict(item[name])
                for key, sub in value.items():
                    if sub is None:
                        merged.pop(key, None)
                    else:
                        merged[key] = sub
                item[name] = merged
            else:
                item[name] = value
        if entity == "plannerTask" and "percentComplete" in changes:
            if item["percentComplete"] == 100 and not item.get("completedDateTime"):
                item["completedDateTime"] = self.world.now.strftime("%Y-%m-%dT%H:%M:%SZ")
            elif item["percentComplete"] < 100:
                item["completedDateTime"] = None
                item["completedBy"] = None
        if entity == "plannerTaskDetails":
            task = self.world.tasks[item["id"]]
            task["hasDescription"] = bool(item.get("description"))

    def _patch_task(self, request: SandboxRequest) -> SandboxResponse:
        task = self.world.tasks.get(request.params["tid"])
        if task is None:
            return self._not_found("task")
        return self._patch(request, task, "plannerTask", "VGFzayAg", "planner/tasks")

    def _patch_task_details(self, request: SandboxRequest) -> SandboxResponse:
        details = self.world.task_details.get(request.params["tid"])
        if details is None:
            return self._not_found("task")
        return self._patch(
            request,
            details,
            "plannerTaskDetails",
            "VGFza0RldGFpbHMg",
            "planner/tasks('x')/details",
        )


def _graph_headers(request: SandboxRequest, response: SandboxResponse) -> None:
    """Graph's per-response ids: ``request-id`` (also in an error's innerError) and the
    ``client-request-id`` the client sent, or a new one."""
    client_request_id = request.header("client-request-id") or str(uuid.uuid4())
    request_id = str(uuid.uuid4())
    error = response.body.get("error") if isinstance(response.body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("innerError"), dict):
        request_id = error["innerError"].get("request-id") or request_id
        error["innerError"]["client-request-id"] = client_request_id
    response.headers.setdefault("request-id", request_id)
    response.headers.setdefault("client-request-id", client_request_id)
    response.headers.setdefault("x-ms-ags-diagnostic", '{"ServerInfo":{"DataCenter":"Sandbox"}}')


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
