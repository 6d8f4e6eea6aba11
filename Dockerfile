# Web + worker image on Debian's libtorch (CPU). For CUDA, build the shim against a CUDA libtorch (LIBTORCH_DIR).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libtorch-dev cmake g++ nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund && dotnet publish src/Web -c Release -o /app/web && dotnet publish src/Training -c Release -o /app/worker

FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libtorch1.13 libopenblas0-pthread dataset-fashion-mnist && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app
ENV Storage__DataDir=/data ASPNETCORE_URLS=http://0.0.0.0:8080
VOLUME /data
EXPOSE 8080
WORKDIR /app/web
# The web process (embedded worker); `dotnet /app/worker/Dashboard.Training.dll` runs a standalone worker.
ENTRYPOINT ["dotnet", "Dashboard.Web.dll"]
