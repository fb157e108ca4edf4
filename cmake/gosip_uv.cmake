# libgosip-uv: the libuv runtime (src/uv/*.c, header include/gosip/uv.h), a second library
# beside libgosip (API.md section 1: two libraries, two pkg-config files). Included from the
# top-level CMakeLists.txt after libgosip is defined and before the tests.
#   gosip_uv_shared  -> libgosip-uv.so   (links libgosip.so)
#   gosip_uv_static  -> libgosip-uv.a    (links libgosip.a; what the uv_* tests use)
# Dependencies: libuv and c-ares through pkg-config, OpenSSL through find_package.

pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
pkg_check_modules(LIBCARES REQUIRED IMPORTED_TARGET libcares)
find_package(OpenSSL REQUIRED COMPONENTS SSL Crypto)

file(GLOB GOSIP_UV_SOURCES CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/src/uv/*.c")
list(SORT GOSIP_UV_SOURCES)
if(NOT GOSIP_UV_SOURCES)
    set(GOSIP_UV_SOURCES "${PROJECT_BINARY_DIR}/gosip_uv_placeholder.c")
    file(CONFIGURE OUTPUT "${GOSIP_UV_SOURCES}" CONTENT "/* Generated: src/uv holds no sources yet. */\ntypedef int gosip__uv_placeholder;\n")
endif()

set(_gosip_uv_deps PkgConfig::LIBUV PkgConfig::LIBCARES OpenSSL::SSL OpenSSL::Crypto)

add_library(gosip_uv_objects OBJECT ${GOSIP_UV_SOURCES})
set_target_properties(gosip_uv_objects PROPERTIES POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden)
# <uv.h> and <ares.h> use POSIX and BSD types (pthread_rwlock_t, fd_set) that strict C11
# (CMAKE_C_EXTENSIONS OFF) hides: ask glibc for them. Code including <gosip/uv.h> under
# -std=c11 needs the same (the uv_* tests define _DEFAULT_SOURCE or _POSIX_C_SOURCE first).
set(GOSIP_UV_FEATURE_DEFS _DEFAULT_SOURCE _POSIX_C_SOURCE=200809L)
target_compile_definitions(gosip_uv_objects PRIVATE GOSIP_BUILDING ${GOSIP_UV_FEATURE_DEFS})
target_include_directories(gosip_uv_objects PRIVATE ${_gosip_public_includes} "${PROJECT_SOURCE_DIR}/src")
target_link_libraries(gosip_uv_objects PRIVATE gosip_warnings ${_gosip_uv_deps})

add_library(gosip_uv_shared SHARED $<TARGET_OBJECTS:gosip_uv_objects>)
add_library(gosip_uv_static STATIC $<TARGET_OBJECTS:gosip_uv_objects>)
set_target_properties(gosip_uv_shared PROPERTIES OUTPUT_NAME gosip-uv VERSION ${PROJECT_VERSION}
                                                 SOVERSION 0 EXPORT_NAME gosip_uv)
set_target_properties(gosip_uv_static PROPERTIES OUTPUT_NAME gosip-uv EXPORT_NAME gosip_uv_static)
foreach(_t gosip_uv_shared gosip_uv_static)
    target_compile_definitions(${_t} PRIVATE GOSIP_BUILDING)
    target_include_directories(${_t} PUBLIC ${_gosip_public_includes})
endforeach()
# gosip/uv.h includes <uv.h>: libuv is part of the public interface of both.
target_link_libraries(gosip_uv_shared PUBLIC gosip_shared PkgConfig::LIBUV
                                      PRIVATE PkgConfig::LIBCARES OpenSSL::SSL OpenSSL::Crypto)
target_link_libraries(gosip_uv_static PUBLIC gosip_static ${_gosip_uv_deps})
if(NOT GOSIP_SANITIZE_ACTIVE)
    target_link_options(gosip_uv_shared PRIVATE "LINKER:--no-undefined")
endif()
# Release: as libgosip (-O3, LTO with fat objects in the static library).
gosip_optimize_release(gosip_uv_objects gosip_uv_shared gosip_uv_static)
add_library(gosip::gosip_uv ALIAS gosip_uv_shared)
add_library(gosip::gosip_uv_static ALIAS gosip_uv_static)

# Install: the libraries and gosip-uv.pc (uv.h is installed with the other public headers).
# Not in the gosipTargets CMake export set: its pkg-config imported targets would have to be
# recreated by gosipConfig.cmake; use `pkg-config gosip-uv` meanwhile.
install(TARGETS gosip_uv_shared gosip_uv_static
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
gosip_install_pkgconfig("${PROJECT_SOURCE_DIR}/cmake/gosip-uv.pc.in" gosip-uv.pc)

# The shared runtime library exports the public gosip_uv_* API only.
gosip_add_export_check(gosip_uv_exports gosip_uv_shared)
