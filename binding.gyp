# node-gyp build of the project's own native addon: the inotify binding (native/inotify.cc),
# sd_notify (native/sd-notify.cc), flock (native/flock.cc) and a posix_spawn spawner
# (native/spawn.cc). Output:
# build/Release/sersync_inotify.node. The package ships
# prebuilt copies in prebuilds/ (scripts/prebuild.js); scripts/install-native.js, the "install"
# script, compiles with this file only when no prebuilt copy loads on the machine.
{
  "targets": [
    {
      "target_name": "sersync_inotify",
      "sources": ["native/inotify.cc", "native/sd-notify.cc", "native/flock.cc", "native/spawn.cc"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "xcode_settings": { "CLANG_CXX_LANGUAGE_STANDARD": "c++17" }
    }
  ]
}
