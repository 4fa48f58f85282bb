"""Azure Resource Manager, through azure-mgmt-containerregistry: the only module that imports
it or azure-identity for ARM (when a client is made, so that no other command pays for it),
and the one place ARM's errors get a meaning.

The SDK speaks ARM's REST JSON both ways here: bodies go in as the REST shapes and answers
come back as plain dicts, so the provisioning logic never sees an SDK type. The SDK's own
retries are off; every operation, a long-running one with its polling included, goes through
calls.Caller (rate cap, backoff honouring Retry-After, one deadline). PUT and PATCH are
idempotent in ARM, so retrying a whole operation is safe.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from acr_edge_cli.calls import Caller, CallError, Deadline, RetryPolicy, ServiceError

_Result = TypeVar("_Result")

#: Resource Manager per cloud, as `az cloud show` lists them.
CLOUD_ENDPOINTS = {
    "AzureCloud": "https://management.azure.com",
    "AzureChinaCloud": "https://management.chinacloudapi.cn",
    "AzureUSGovernment": "https://management.usgovcloudapi.net",
}
#: Microsoft Entra authority per cloud, for azure-identity.
CLOUD_AUTHORITIES = {
    "AzureCloud": "login.microsoftonline.com",
    "AzureChinaCloud": "login.chinacloudapi.cn",
    "AzureUSGovernment": "login.microsoftonline.us",
}
#: Where tests (and private clouds) point acr-edge at another Resource Manager.
ENDPOINT_ENV = "ACR_EDGE_ARM_ENDPOINT"
#: Seconds between polls of a long-running operation when ARM sends no Retry-After (or 0);
#: ACR_EDGE_ARM_POLL_SECONDS changes it (a local ARM answers at once).
POLLING_INTERVAL = 2.0
POLL_ENV = "ACR_EDGE_ARM_POLL_SECONDS"
#: Seconds to connect, and to wait for each answer.
REQUEST_TIMEOUT = (10, 60)


class ArmError(ServiceError):
    """Resource Manager could not be reached, or refused the credentials (exit 3)."""


class RegistryId(NamedTuple):
    subscription: str
    resource_group: str
    registry: str

    @classmethod
    def parse(cls, resource_id: str) -> RegistryId | None:
        parts = resource_id.strip("/").split("/")
        if (
            len(parts) == 8
            and parts[0].lower() == "subscriptions"
            and parts[2].lower() == "resourcegroups"
            and parts[4].lower() == "providers"
            and parts[5].lower() == "microsoft.containerregistry"
            and parts[6].lower() == "registries"
            and all(parts[i] for i in (1, 3, 7))
        ):
            return cls(parts[1], parts[3], parts[7])
        return None

    @property
    def id(self) -> str:
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.ContainerRegistry/registries/{self.registry}"
        )

    def child(self, kind: str, name: str) -> str:
        """The id of a token, scope map or connected registry of this registry."""
        return f"{self.id}/{kind}/{name}"


@dataclass(frozen=True)
class ArmSettings:
    endpoint: str
    authority: str | None
    #: a bearer token from the environment, or None for DefaultAzureCredential
    token: str | None
    polling_interval: float = POLLING_INTERVAL


def arm_settings(cloud: str, environ: Mapping[str, str], token_env: str) -> ArmSettings:
    """Where ARM is and how to sign in. Raises ValueError for a bad ACR_EDGE_ARM_* value."""
    endpoint = environ.get(ENDPOINT_ENV) or CLOUD_ENDPOINTS[cloud]
    if not endpoint.startswith("https://"):
        raise ValueError(f"{ENDPOINT_ENV} must be an https:// URL")
    poll = environ.get(POLL_ENV)
    try:
        interval = float(poll) if poll else POLLING_INTERVAL
    except ValueError:
        raise ValueError(f"{POLL_ENV} must be a number of seconds") from None
    return ArmSettings(
        endpoint.rstrip("/"), CLOUD_AUTHORITIES.get(cloud), environ.get(token_env), interval
    )


class _BearerToken:
    """A token that a pipeline already holds (`az account get-access-token`)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time()) + 3600)


def _body(result: Any) -> dict[str, Any]:
    if result is None:
        return {}
    as_dict = getattr(result, "as_dict", None)
    return dict(as_dict()) if callable(as_dict) else dict(result)


class ArmClient:
    """One registry's tokens, scope maps and connected registries, through ARM."""

    def __init__(
        self,
        settings: ArmSettings,
        registry: RegistryId,
        *,
        rate: float = 20.0,
        retry: RetryPolicy | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        from azure.mgmt.containerregistry import ContainerRegistryManagementClient

        credential: Any
        if settings.token is not None:
            credential = _BearerToken(settings.token)
        else:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential(authority=settings.authority)
        self.endpoint = settings.endpoint
        self.registry = registry
        self.client = ContainerRegistryManagementClient(
            credential,
            registry.subscription,
            base_url=settings.endpoint,
            credential_scopes=[f"{settings.endpoint}/.default"],
            retry_total=0,  # retried by the Caller
            polling_interval=settings.polling_interval,
            connection_timeout=REQUEST_TIMEOUT[0],
            read_timeout=REQUEST_TIMEOUT[1],
        )
        self.caller = Caller(rate, retry, deadline)

    @property
    def calls(self) -> int:
        return self.caller.calls

    def _once(self, operation: Callable[[], _Result]) -> _Result:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ServiceRequestError,
            ServiceResponseError,
        )

        try:
            return operation()
        except ClientAuthenticationError as error:
            status = getattr(error, "status_code", None)
            raise ArmError(
                f"Resource Manager refused the credentials ({status or 'no token'})"
            ) from None
        except HttpResponseError as error:
            status = error.status_code
            if status in (401, 403):
                raise ArmError(
                    f"Resource Manager refused the credentials ({status}): {_error_text(error)}"
                ) from None
            headers = getattr(error.response, "headers", None) or {}
            retry_after = _seconds(headers.get("Retry-After"))
            raise CallError(status, _error_text(error), retry_after) from None
        except (ServiceRequestError, ServiceResponseError, OSError) as error:
            if "CERTIFICATE_VERIFY_FAILED" in str(error):
                raise ArmError(f"the TLS certificate of {self.endpoint} is not trusted") from None
            raise CallError(None, f"{self.endpoint} could not be reached") from None

    def call(self, operation: Callable[[], _Result]) -> _Result:
        return self.caller.call(lambda: self._once(operation))[0]

    def _get(self, get: Callable[..., Any], *names: str) -> dict[str, Any] | None:
        """A resource of this registry as ARM's JSON, or None when ARM says 404."""
        r = self.registry
        try:
            return _body(self.call(lambda: get(r.resource_group, r.registry, *names)))
        except CallError as error:
            if error.status == 404:
                return None
            raise

    def _run(self, begin: Callable[..., Any], *arguments: Any) -> dict[str, Any]:
        """A long-running operation on this registry, polled to its end (or to the run's
        deadline, which a poll that never ends must not outlast): ARM's answer."""
        r = self.registry

        def once() -> Any:
            poller = begin(r.resource_group, r.registry, *arguments)
            answer = poller.result(timeout=self.caller.deadline.remaining())
            if not poller.done():
                raise CallError(
                    None,
                    f"the operation was still {poller.status()} when the run's deadline passed",
                    permanent=True,
                )
            return answer

        return _body(self.call(once))

    # --- the registry --------------------------------------------------------------------

    def get_registry(self) -> dict[str, Any] | None:
        r = self.registry
        try:
            return _body(
                self.call(lambda: self.client.registries.get(r.resource_group, r.registry))
            )
        except CallError as error:
            if error.status == 404:
                return None
            raise

    def enable_data_endpoint(self) -> None:
        self._run(
            self.client.registries.begin_update, {"properties": {"dataEndpointEnabled": True}}
        )

    # --- scope maps, tokens -------------------------------------------------------------

    def get_scope_map(self, name: str) -> dict[str, Any] | None:
        return self._get(self.client.scope_maps.get, name)

    def put_scope_map(self, name: str, actions: list[str], description: str) -> None:
        body = {"properties": {"actions": actions, "description": description}}
        self._run(self.client.scope_maps.begin_create, name, body)

    def update_scope_map(self, name: str, actions: list[str]) -> None:
        self._run(self.client.scope_maps.begin_update, name, {"properties": {"actions": actions}})

    def get_token(self, name: str) -> dict[str, Any] | None:
        return self._get(self.client.tokens.get, name)

    def create_token(self, name: str, scope_map: str) -> None:
        scope_map_id = self.registry.child("scopeMaps", scope_map)
        body = {"properties": {"scopeMapId": scope_map_id, "status": "enabled"}}
        self._run(self.client.tokens.begin_create, name, body)

    def generate_password(self, token: str) -> str:
        """A new `password1` for a token (ARM generateCredentials); the old one stops working."""
        body = {"tokenId": self.registry.child("tokens", token), "name": "password1"}
        result = self._run(self.client.registries.begin_generate_credentials, body)
        passwords = result.get("passwords") or []
        value = next((p.get("value") for p in passwords if p.get("name") == "password1"), None)
        if not isinstance(value, str) or not value:
            raise CallError(None, "generateCredentials answered without password1", permanent=True)
        return value

    # --- connected registries -----------------------------------------------------------

    def get_connected_registry(self, name: str) -> dict[str, Any] | None:
        return self._get(self.client.connected_registries.get, name)

    def create_connected_registry(self, name: str, properties: dict[str, Any]) -> None:
        self._run(self.client.connected_registries.begin_create, name, {"properties": properties})

    def update_connected_registry(self, name: str, properties: dict[str, Any]) -> None:
        self._run(self.client.connected_registries.begin_update, name, {"properties": properties})


def _seconds(header: str | None) -> float | None:
    try:
        return float(header) if header else None
    except ValueError:
        return None


def _error_text(error: Any) -> str:
    """ARM's error envelope as `Code: message`, else the status."""
    inner = getattr(error, "error", None)
    code = getattr(inner, "code", None)
    message = getattr(inner, "message", None)
    if code or message:
        return f"{code}: {message}" if code and message else str(code or message)
    return f"{error.status_code} {getattr(error, 'reason', '') or ''}".strip()
