#include "framework/resources.h"

namespace metarun {

std::string step_resource_prefix(int64_t step_id) { return "step/" + std::to_string(step_id) + "/"; }

Tensor handle_tensor(const std::string& container, const std::string& name, bool resource, const std::string& type) {
  if (!resource) {
    Tensor h(DType::kString, {2});
    h.data<std::string>()[0] = container;
    h.data<std::string>()[1] = name;
    return h;
  }
  Tensor h(DType::kResource, {});
  ResourceHandle& r = *h.data<ResourceHandle>();
  r.container = container;
  r.name = name;
  r.type = type;
  return h;
}

std::shared_ptr<Var> ResourceMgr::ref_var(const std::string& key, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = ref_vars_[key];
  if (!slot) slot = std::make_shared<Var>(name);
  return slot;
}

std::shared_ptr<Var> ResourceMgr::lookup_var(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = resource_vars_.find(key);
  return it == resource_vars_.end() ? nullptr : it->second;
}

std::shared_ptr<Var> ResourceMgr::get_or_create_var(const std::string& key, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = resource_vars_[key];
  if (!slot) slot = std::make_shared<Var>(name);
  return slot;
}

bool ResourceMgr::delete_var(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  return resource_vars_.erase(key) > 0;
}

std::shared_ptr<Resource> ResourceMgr::lookup(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = others_.find(key);
  return it == others_.end() ? nullptr : it->second;
}

void ResourceMgr::insert(const std::string& key, std::shared_ptr<Resource> r) {
  std::lock_guard<std::mutex> lock(mu_);
  others_[key] = std::move(r);
}

void ResourceMgr::erase(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  others_.erase(key);
}


void ResourceMgr::erase_prefix(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = others_.lower_bound(prefix);
  while (it != others_.end() && it->first.compare(0, prefix.size(), prefix) == 0) it = others_.erase(it);
}

}  // namespace metarun
