-- Argo CD health of a MetasrvCluster, from the kstatus conditions the operator writes.
-- Healthy: Ready=True and the status describes the current spec (observedGeneration).
-- Degraded: Stalled=True (the spec cannot be applied; the message names the field).
-- Progressing: anything else, Reconciling=True included.
local hs = {status = "Progressing", message = "waiting for the operator"}
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
local conditions = {}
for _, c in ipairs(obj.status.conditions) do
  conditions[c.type] = c
end
local current = obj.status.observedGeneration == obj.metadata.generation
local stalled = conditions["Stalled"]
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = stalled.message
  return hs
end
local ready = conditions["Ready"]
if current and ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end
local reconciling = conditions["Reconciling"]
if reconciling ~= nil and reconciling.status == "True" then
  hs.message = reconciling.message
elseif ready ~= nil then
  hs.message = ready.message
end
return hs
