"""acr-edge: nested IoT Edge deployments for the ACR connected registry."""

__version__ = "0.1.0"
