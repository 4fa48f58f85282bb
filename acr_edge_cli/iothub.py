"""IoT Hub, through the azure-iot-hub SDK: the only module that imports it (when a client is
made, so that no other command pays for it), and the one place its errors get a meaning.

The SDK's own retries are switched off: it never retries POST (the apply call) and retries
5xx without backoff jitter, so every call goes through calls.Caller instead. Answers are
bounded too: each request gives up after a read timeout, no answer body is read past
MAX_BODY, and an answer that is not IoT Hub's (a web server's 404 page, garbage JSON, an
untrusted certificate) stops the run with exit 3 instead of being read as a device problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from acr_edge_cli.calls import Caller, CallError, Deadline, RetryPolicy, ServiceError

_Result = TypeVar("_Result")

#: Seconds to connect, and to wait for each answer (the SDK's default is 100).
REQUEST_TIMEOUT = (10.0, 30.0)
#: The largest answer read: a list of 100 deployments of 512 KB each is well under it.
MAX_BODY = 64 * 1024 * 1024


class HubError(ServiceError):
    """IoT Hub could not be reached, or refused the credentials (exit 3)."""


_SERVER_ERROR = re.compile(r"too many (\d{3}) error responses")
_REASONS = {
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def _bounded_body(response: Any, *args: Any, **kwargs: Any) -> Any:
    """A requests response hook: read the answer now, and no more than MAX_BODY of it."""
    declared = response.headers.get("Content-Length", "")
    too_large = CallError(
        response.status_code, f"IoT Hub's answer is larger than {MAX_BODY} bytes", permanent=True
    )
    if declared.isdigit() and int(declared) > MAX_BODY:
        response.close()
        raise too_large
    data = response.raw.read(MAX_BODY + 1, decode_content=True) or b""
    if len(data) > MAX_BODY:
        response.close()
        raise too_large
    # requests keeps a read body here; msrest reads it from there
    response._content = data
    response._content_consumed = True
    return response


class HubClient:
    """IoT Hub through the azure-iot-hub SDK; every call is rate-limited and retried."""

    def __init__(
        self,
        *,
        connection_string: str | None = None,
        hub_host: str | None = None,
        rate: float = 200.0,
        retry: RetryPolicy | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        from azure.iot.hub import IoTHubConfigurationManager, IoTHubRegistryManager

        try:
            if connection_string is not None:
                self.registry = IoTHubRegistryManager.from_connection_string(connection_string)
                self.configuration = IoTHubConfigurationManager.from_connection_string(
                    connection_string
                )
                host = dict(
                    part.split("=", 1) for part in connection_string.split(";") if "=" in part
                ).get("HostName", "IoT Hub")
            else:
                from azure.identity import DefaultAzureCredential

                credential = DefaultAzureCredential()
                self.registry = IoTHubRegistryManager.from_token_credential(hub_host, credential)
                self.configuration = IoTHubConfigurationManager.from_token_credential(
                    hub_host, credential
                )
                host = str(hub_host)
        except (ValueError, KeyError, TypeError):
            # the SDK's message may quote the connection string: never show it
            raise HubError("the IoT Hub connection string is not valid") from None
        self.host = host
        for manager in (self.registry, self.configuration):
            config = manager.protocol.config
            config.retry_policy.retries = 0  # retried by the Caller, POST included
            # one pooled session: msrest otherwise opens a TLS connection per call
            config.keep_alive = True
            config.connection.timeout = REQUEST_TIMEOUT
            config.hooks.append(_bounded_body)
        self.caller = Caller(rate, retry, deadline)

    @property
    def hub_name(self) -> str:
        """The hub's name as `az iot hub ... --hub-name` takes it (its host's first label)."""
        return self.host.split(".", 1)[0]

    @property
    def calls(self) -> int:
        return self.caller.calls

    def _once(self, operation: Callable[[], _Result]) -> _Result:
        """One call, its failure as a CallError (or a HubError for what no retry mends)."""
        from azure.core.exceptions import DeserializationError
        from msrest.exceptions import ClientRequestError, HttpOperationError

        try:
            return operation()
        except HttpOperationError as error:
            response = error.response
            status = response.status_code if response is not None else None
            headers = response.headers if response is not None else {}
            code = headers.get("iothub-errorcode", "")
            if status == 401:
                raise HubError("IoT Hub refused the credentials (401 Unauthorized)") from None
            if status == 404 and not code and "rrorCode" not in (response.text or ""):
                raise HubError(
                    f"{self.host} answered 404 without an IoT Hub error code: is it an "
                    "IoT Hub's host name?"
                ) from None
            header = headers.get("Retry-After")
            retry_after = float(header) if header and header.isdigit() else None
            raise CallError(status, f"{status} {code}".strip(), retry_after) from None
        except DeserializationError:
            raise HubError(
                f"{self.host} answered with something that is not IoT Hub's JSON"
            ) from None
        except (ClientRequestError, OSError) as error:
            text = str(error)
            if "CERTIFICATE_VERIFY_FAILED" in text:
                raise HubError(f"the TLS certificate of {self.host} is not trusted") from None
            # urllib3 reports a 5xx as "too many 503 error responses" even with retries off
            server = _SERVER_ERROR.search(text)
            if server:
                status = int(server.group(1))
                raise CallError(status, f"{status} {_REASONS.get(status, '')}".strip()) from None
            raise CallError(None, "IoT Hub could not be reached") from None

    def call(self, operation: Callable[[], _Result]) -> tuple[_Result, int]:
        """(result, attempts); transient failures are retried, then raised."""
        return self.caller.call(lambda: self._once(operation))

    def device(self, device_id: str) -> tuple[dict[str, Any] | None, int]:
        try:
            device, attempts = self.call(lambda: self.registry.get_device(device_id))
        except CallError as error:
            if error.status == 404:
                return None, error.attempts
            raise
        return {
            "edge": bool(device.capabilities and device.capabilities.iot_edge),
            "scope": device.device_scope,
            "parent_scopes": list(device.parent_scopes or []),
        }, attempts

    def create_edge_device(self, device_id: str, parent_scope: str | None) -> str:
        """A new IoT Edge identity with SAS keys the hub generates, under `parent_scope`;
        returns its device scope."""
        parents = [parent_scope] if parent_scope else None
        device, _ = self.call(
            lambda: self.registry.create_device_with_sas(
                device_id, None, None, "enabled", iot_edge=True, parent_scopes=parents
            )
        )
        return str(device.device_scope)

    def connection_string(self, device_id: str) -> str:
        """The device's own connection string (its primary key): a secret, for the
        secrets file only."""
        device, _ = self.call(lambda: self.registry.get_device(device_id))
        key = device.authentication.symmetric_key.primary_key
        return f"HostName={self.host};DeviceId={device_id};SharedAccessKey={key}"

    def set_parent(self, device_id: str, parent_scope: str | None) -> None:
        """Point an IoT Edge identity at another parent (or none), keeping its keys; the
        update carries the identity's ETag, so a concurrent change is refused (412)."""
        current, _ = self.call(lambda: self.registry.get_device(device_id))
        keys = current.authentication.symmetric_key
        parents = [parent_scope] if parent_scope else []
        self.call(
            lambda: self.registry.update_device_with_sas(
                device_id,
                current.etag,
                keys.primary_key,
                keys.secondary_key,
                current.status or "enabled",
                iot_edge=True,
                device_scope=current.device_scope,
                parent_scopes=parents,
            )
        )

    def desired(self, device_id: str, module: str) -> tuple[dict[str, Any] | None, int]:
        try:
            twin, attempts = self.call(lambda: self.registry.get_module_twin(device_id, module))
        except CallError as error:
            if error.status == 404:
                return None, error.attempts
            raise
        desired = (twin.properties.desired or {}) if twin.properties else {}
        return {k: v for k, v in desired.items() if not k.startswith("$")}, attempts

    def agent_state(self, device_id: str) -> dict[str, Any] | None:
        """What `$edgeAgent` holds: the desired `$version` and the reported properties the
        edge runtime writes (None when the device has no such twin)."""
        try:
            twin, _ = self.call(lambda: self.registry.get_module_twin(device_id, "$edgeAgent"))
        except CallError as error:
            if error.status == 404:
                return None
            raise
        properties = twin.properties
        desired = (properties.desired or {}) if properties else {}
        reported = (properties.reported or {}) if properties else {}
        return {"desired_version": desired.get("$version"), "reported": dict(reported)}

    def tags(self, device_id: str) -> dict[str, Any]:
        twin, _ = self.call(lambda: self.registry.get_twin(device_id))
        return dict(twin.tags or {})

    def set_tags(self, device_id: str, tags: dict[str, Any]) -> None:
        from azure.iot.hub.models import Twin

        self.call(lambda: self.registry.update_twin(device_id, Twin(tags=tags), "*"))

    def configurations(self) -> list[dict[str, Any]]:
        found, _ = self.call(lambda: self.configuration.get_configurations())
        return [
            {
                "id": c.id,
                "etag": c.etag,
                "labels": dict(c.labels or {}),
                "priority": c.priority,
                "targetCondition": c.target_condition,
                "metrics": dict((c.metrics.queries if c.metrics else None) or {}),
                "systemMetrics": dict(
                    (c.system_metrics.results if c.system_metrics else None) or {}
                ),
            }
            for c in found
        ]

    def condition_error(self, condition: str, metrics: dict[str, str]) -> str:
        from azure.iot.hub.models import ConfigurationQueriesTestInput

        query = ConfigurationQueriesTestInput(
            target_condition=condition, custom_metric_queries=metrics
        )
        answer, _ = self.call(lambda: self.configuration.test_configuration_queries(query))
        errors = [answer.target_condition_error or ""]
        errors += [f"{k}: {v}" for k, v in (answer.custom_metric_query_errors or {}).items() if v]
        return "; ".join(e for e in errors if e)

    def _configuration_model(self, document: dict[str, Any], identifier: str) -> Any:
        from azure.iot.hub.models import Configuration, ConfigurationContent, ConfigurationMetrics

        return Configuration(
            id=identifier,
            schema_version=document.get("schemaVersion", "1.0"),
            labels=document.get("labels"),
            content=ConfigurationContent(modules_content=document["content"]["modulesContent"]),
            target_condition=document.get("targetCondition", ""),
            priority=document.get("priority", 0),
            metrics=ConfigurationMetrics(queries=document.get("metrics", {}).get("queries")),
        )

    def create_configuration(self, document: dict[str, Any], identifier: str) -> None:
        model = self._configuration_model(document, identifier)
        self.call(lambda: self.configuration.create_configuration(model))

    def update_configuration(self, document: dict[str, Any], identifier: str, etag: str) -> None:
        model = self._configuration_model(document, identifier)
        # The SDK sends this etag unquoted, which IoT Hub does not recognise (it answers 409
        # as for a create; Azure/azure-iot-hub-python#2): quote it here.
        quoted = etag if etag.startswith('"') else f'"{etag}"'
        self.call(lambda: self.configuration.update_configuration(model, quoted))

    def delete_configuration(self, identifier: str) -> None:
        self.call(lambda: self.configuration.delete_configuration(identifier))

    def apply(self, device_id: str, content: dict[str, Any]) -> int:
        from azure.iot.hub.models import ConfigurationContent

        body = ConfigurationContent(modules_content=content["modulesContent"])
        _, attempts = self.call(
            lambda: self.configuration.apply_configuration_on_edge_device(device_id, body)
        )
        return int(attempts)
