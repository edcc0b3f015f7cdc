# Sourced by the benchmarks: publish_vigil DIR builds Vigil as it is deployed (Release, ReadyToRun for this machine's
# runtime identifier, framework-dependent) into DIR, so start-up and the first minutes are not spent in the JIT.
publish_vigil() {
  local rid
  case "$(uname -m)" in x86_64) rid=linux-x64 ;; aarch64) rid=linux-arm64 ;; *) rid= ;; esac
  dotnet publish "$repo/src/Vigil" -c Release ${rid:+-r "$rid"} --self-contained false -o "$1" --nologo -v quiet >/dev/null
}
