# Install rules and the Debian package (CPack DEB): `cpack -G DEB` in a build folder, or
# scripts/package.sh. The binary goes to /usr/bin, the dashboard to /usr/share/lienthong/web, an
# example configuration to /etc/lienthong, the systemd unit to /lib/systemd/system; the
# maintainer scripts (packaging/debian) add the `lienthong` system user and /var/lib/lienthong.
# Library dependencies are read off the binary by dpkg-shlibdeps, so they are Debian 12's.

install(TARGETS lienthong RUNTIME DESTINATION bin)
install(FILES ${PROJECT_SOURCE_DIR}/gateway/web/dashboard.html ${PROJECT_SOURCE_DIR}/gateway/web/dashboard.js
        DESTINATION share/lienthong/web)
# Chart.js comes from the npm registry (scripts/install-web.sh); a package built without it
# serves /dashboard as 503 naming that script, as a node does from the source tree.
install(FILES ${PROJECT_SOURCE_DIR}/gateway/web/node_modules/chart.js/dist/chart.umd.js
        DESTINATION share/lienthong/web/node_modules/chart.js/dist OPTIONAL)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/lienthong.conf DESTINATION /etc/lienthong)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/lienthong.service DESTINATION /lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/lienthong)
# Alert rules and a Grafana dashboard for the operators' Prometheus (README "Metrics and alerts").
install(FILES ${PROJECT_SOURCE_DIR}/packaging/prometheus/lienthong-alerts.yml
              ${PROJECT_SOURCE_DIR}/packaging/grafana/lienthong-dashboard.json
        DESTINATION share/lienthong/monitoring)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lienthong)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Lienthong maintainers <lienthong@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "gateway for signed official documents between Vietnamese state bodies")
set(CPACK_PACKAGE_DESCRIPTION "Lienthong routes edXML packages (QCVN 102:2016) between the document-management
 systems of communes, districts and provinces, verifies and applies their signatures, runs the
 province's certificate authority and keeps the evidence auditors ask for.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)  # the debug information stays in the build folder
include(CPack)
