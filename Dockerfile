# Web + worker image on Debian 12 and its libtorch (CPU), the libtorch the shim is built and tested against.
# .NET 10's own images are Ubuntu 24.04, whose libtorch is another version, so .NET comes in from Microsoft's install
# script for the build, and the apps are published self-contained: the runtime image needs no .NET of its own.
# For CUDA, build the shim against a CUDA libtorch (LIBTORCH_DIR; README, "GPU builds").
FROM debian:bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates curl libicu72 libtorch-dev cmake g++ make nodejs npm && rm -rf /var/lib/apt/lists/*
RUN curl -fsSL https://dot.net/v1/dotnet-install.sh | bash -s -- --channel 10.0 --install-dir /usr/share/dotnet \
    && ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
WORKDIR /src
COPY . .
# Every run records the engine's version, which ends with the commit it was built from. The context leaves .git out,
# so the commit comes in as an argument: docker build --build-arg SOURCE_REVISION=$(git rev-parse HEAD) .
ARG SOURCE_REVISION=""
RUN npm ci --no-audit --no-fund \
    && dotnet publish src/Web -c Release -r linux-x64 --self-contained -o /app/web -p:SourceRevisionId=$SOURCE_REVISION \
    && dotnet publish src/Training -c Release -r linux-x64 --self-contained -o /app/worker -p:SourceRevisionId=$SOURCE_REVISION

FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libicu72 libtorch1.13 libopenblas0-pthread dataset-fashion-mnist && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app
ENV Storage__DataDir=/data ASPNETCORE_URLS=http://0.0.0.0:8080
VOLUME /data
EXPOSE 8080
WORKDIR /app/web
# The web process (embedded worker); `/app/worker/Dashboard.Training` runs a standalone worker.
ENTRYPOINT ["/app/web/Dashboard.Web"]
