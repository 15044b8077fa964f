#pragma once
// The only place that names concrete connectors: builds the one the config asks for.
#include "config/config.hpp"
#include "connectors/api/crm_connector.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>

namespace cg::app {

Result<std::unique_ptr<crm::CrmConnector>> make_connector(const config::Config& cfg, boost::asio::io_context& io);

}  // namespace cg::app
