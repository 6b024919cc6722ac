"""A small OpenID Connect provider for tests (authorization code flow with PKCE, RS256 ID tokens),
written here from the OIDC Core spec so that raigov's sign-in is tested against a real provider
running on a local port. Not for any other use."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import threading
import time
from urllib.parse import urlencode

import uvicorn
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Provider:
    def __init__(self, client_id: str = "raigov-test", client_secret: str = "s3cret"):
        self.client_id, self.client_secret = client_id, client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "k1"
        self.codes: dict[str, dict] = {}
        self.next_user: dict = {}
        port = _free_port()
        self.issuer = f"http://127.0.0.1:{port}"
        self.app = self._build()
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> Provider:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.02)
        raise RuntimeError("the test OIDC provider did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)

    def id_token(self, claims: dict) -> str:
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}".encode()
        sig = self.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode()}.{b64url(sig)}"

    def _build(self) -> FastAPI:
        app = FastAPI()
        prov = self

        @app.get("/.well-known/openid-configuration")
        def config():
            return {
                "issuer": prov.issuer,
                "authorization_endpoint": f"{prov.issuer}/authorize",
                "token_endpoint": f"{prov.issuer}/token",
                "jwks_uri": f"{prov.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }

        @app.get("/jwks")
        def jwks():
            n = prov.key.public_key().public_numbers()
            return {"keys": [{"kty": "RSA", "kid": prov.kid, "use": "sig", "alg": "RS256",
                              "n": b64url(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")),
                              "e": b64url(n.e.to_bytes(3, "big"))}]}

        @app.get("/authorize")
        def authorize(client_id: str, redirect_uri: str, state: str, response_type: str = "code",
                      nonce: str | None = None, code_challenge: str | None = None, code_challenge_method: str | None = None):
            if client_id != prov.client_id or response_type != "code":
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            code = secrets.token_urlsafe(16)
            prov.codes[code] = {"redirect_uri": redirect_uri, "nonce": nonce, "challenge": code_challenge,
                                "user": dict(prov.next_user)}
            return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", status_code=302)

        @app.post("/token")
        async def token(request: Request, grant_type: str = Form(...), code: str = Form(...), redirect_uri: str = Form(...),
                        code_verifier: str | None = Form(None), client_id: str | None = Form(None),
                        client_secret: str | None = Form(None)):
            auth = request.headers.get("authorization", "")
            if auth.startswith("Basic "):
                client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
            if (client_id, client_secret) != (prov.client_id, prov.client_secret):
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            grant = prov.codes.pop(code, None)
            if grant_type != "authorization_code" or grant is None or grant["redirect_uri"] != redirect_uri:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            if grant["challenge"] and (
                not code_verifier or b64url(hashlib.sha256(code_verifier.encode()).digest()) != grant["challenge"]
            ):
                return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, status_code=400)
            now = int(time.time())
            claims = {"iss": prov.issuer, "aud": prov.client_id, "iat": now, "exp": now + 300, **grant["user"]}
            if grant["nonce"]:
                claims["nonce"] = grant["nonce"]
            return {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                    "id_token": prov.id_token(claims)}

        return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
