# phx_add_library(<name> SOURCES ... DEPENDS ...)
# Declares library phx_<name>, aliased phx::<name>, whose public headers live in
# <folder>/include/phx/..., and registers it for install and export.
function(phx_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPENDS;PRIVATE_DEPENDS" ${ARGN})
  add_library(phx_${name} ${ARG_SOURCES})
  add_library(phx::${name} ALIAS phx_${name})
  set_target_properties(phx_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME phx_${name})
  target_include_directories(phx_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(phx_${name} PUBLIC ${ARG_PUBLIC_DEPENDS}
                                    PRIVATE ${ARG_PRIVATE_DEPENDS} $<BUILD_INTERFACE:phx_warnings>)
  install(TARGETS phx_${name} EXPORT phx-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endfunction()
