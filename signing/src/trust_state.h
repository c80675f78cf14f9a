// The inside of a TrustStore, shared by the validator, the verifiers and the TSA check.
#pragma once

#include <map>
#include <mutex>
#include <vector>

#include "lienthong/signing/trust_store.h"
#include "ossl.h"

namespace lienthong::signing {

struct TrustStore::State {
  std::vector<ossl::X509Ptr> anchors;
  std::vector<ossl::X509Ptr> intermediates;
  ossl::X509StorePtr store{nullptr, X509_STORE_free};  // holds the anchors
  struct Crl {
    ossl::X509CrlPtr crl;
    std::string origin;
  };
  std::vector<Crl> crls;  // loaded with the store; immutable afterwards
  HttpFetch fetch;

  struct CachedCrl {
    ossl::X509CrlPtr crl{nullptr, X509_CRL_free};
    std::chrono::system_clock::time_point next_update;
  };
  mutable std::mutex cache_mutex;  // guards crl_cache
  mutable std::map<std::string, std::shared_ptr<CachedCrl>> crl_cache;  // by URL
};

Result<ossl::X509CrlPtr> parseCrl(std::string_view bytes);

}  // namespace lienthong::signing
