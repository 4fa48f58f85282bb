# A small image with acr-edge as its entry point:
#   docker build -t acr-edge . && docker run --rm -v "$PWD:/work" acr-edge validate hierarchy.yaml
# The wheel is built in a first stage, so the image holds no build tools or sources.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY acr_edge_cli ./acr_edge_cli
COPY templates ./templates
COPY schemas ./schemas
COPY examples ./examples
RUN python -m pip install --no-cache-dir --quiet build \
    && python -m build --wheel --outdir /wheels

FROM python:3.11-slim
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir --quiet /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home --uid 10001 acr-edge
USER acr-edge
WORKDIR /work
ENTRYPOINT ["acr-edge"]
CMD ["--help"]
