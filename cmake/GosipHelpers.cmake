# Helpers shared by the two libraries (libgosip in CMakeLists.txt, libgosip-uv in
# cmake/gosip_uv.cmake), so that both are built, checked and installed the same way.

# Release builds use -O3 and link-time optimisation: small cross-file helpers (parameters,
# URIs, scanning) inline into their callers. Static libraries keep fat objects so that
# consumers without LTO can still link them. Sets GOSIP_LTO_ACTIVE in the caller's scope.
function(gosip_optimize_release objects)
    if(NOT CMAKE_BUILD_TYPE STREQUAL "Release" OR GOSIP_SANITIZE_ACTIVE)
        return()
    endif()
    target_compile_options(${objects} PRIVATE -O3)
    if(NOT GOSIP_LTO)
        return()
    endif()
    include(CheckIPOSupported)
    check_ipo_supported(RESULT _ipo LANGUAGES C)
    if(_ipo)
        set_property(TARGET ${objects} ${ARGN} PROPERTY INTERPROCEDURAL_OPTIMIZATION ON)
        target_compile_options(${objects} PRIVATE -ffat-lto-objects)
        set(GOSIP_LTO_ACTIVE ON PARENT_SCOPE)
    endif()
endfunction()

# The shared library `target` exports its public API only (CheckExports.cmake).
function(gosip_add_export_check name target)
    if(GOSIP_TESTS AND NOT GOSIP_SANITIZE_ACTIVE AND CMAKE_NM)
        add_test(NAME ${name}
                 COMMAND "${CMAKE_COMMAND}" "-DNM=${CMAKE_NM}" "-DLIB=$<TARGET_FILE:${target}>"
                         -P "${PROJECT_SOURCE_DIR}/cmake/CheckExports.cmake")
        set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS abi)
    endif()
endfunction()

# Configures and installs a pkg-config file from `template`; paths are relative to
# ${prefix} when the install dirs are relative.
function(gosip_install_pkgconfig template out)
    foreach(_d LIBDIR INCLUDEDIR)
        if(IS_ABSOLUTE "${CMAKE_INSTALL_${_d}}")
            set(GOSIP_PC_${_d} "${CMAKE_INSTALL_${_d}}")
        else()
            set(GOSIP_PC_${_d} "\${prefix}/${CMAKE_INSTALL_${_d}}")
        endif()
    endforeach()
    configure_file("${template}" "${PROJECT_BINARY_DIR}/${out}" @ONLY)
    install(FILES "${PROJECT_BINARY_DIR}/${out}" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
endfunction()
