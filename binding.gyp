# node-gyp build of the project's own inotify binding (native/inotify.cc), run by `npm ci`
# through the package.json "install" script. Output: build/Release/sersync_inotify.node.
{
  "targets": [
    {
      "target_name": "sersync_inotify",
      "sources": ["native/inotify.cc"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "xcode_settings": { "CLANG_CXX_LANGUAGE_STANDARD": "c++17" }
    }
  ]
}
