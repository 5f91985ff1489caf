#!lua name=ve
-- The same checks as examples/validate_email/src/rules.rs, as a Redis 7
-- function, for benches/fcall/run.sh.

local MAX_ADDRESS, MAX_LOCAL, MAX_LABEL = 254, 64, 63

local function valid_quoted(s)
  if #s < 2 or s:sub(-1) ~= '"' then return false end
  local inner, i = s:sub(2, -2), 1
  while i <= #inner do
    local b = inner:byte(i)
    if b == 92 then -- backslash
      local n = inner:byte(i + 1)
      if not n or n < 0x20 or n > 0x7e then return false end
      i = i + 2
    elseif b == 34 then return false
    elseif b >= 0x20 and b <= 0x7e then i = i + 1
    else return false end
  end
  return true
end

local function valid_local(l)
  if #l == 0 or #l > MAX_LOCAL then return false end
  if l:sub(1, 1) == '"' then return valid_quoted(l) end
  for atom in (l .. "."):gmatch("(.-)%.") do
    if #atom == 0 or atom:find("[^%w!#%$%%&'%*%+%-/=%?%^_`{|}~]") then return false end
  end
  return true
end

local function valid_ipv4(t)
  local n = 0
  for p in (t .. "."):gmatch("(.-)%.") do
    n = n + 1
    if #p == 0 or #p > 3 or p:find("%D") or (#p > 1 and p:sub(1, 1) == "0") or tonumber(p) > 255 then
      return false
    end
  end
  return n == 4
end

local function valid_domain(d)
  if d:sub(1, 1) == "[" then
    return d:sub(-1) == "]" and valid_ipv4(d:sub(2, -2))
  end
  if #d == 0 then return false end
  local labels = {}
  for label in (d .. "."):gmatch("(.-)%.") do labels[#labels + 1] = label end
  if #labels < 2 or not labels[#labels]:find("%D") then return false end
  for _, label in ipairs(labels) do
    if #label == 0 or #label > MAX_LABEL or label:find("[^%w%-]")
      or not label:sub(1, 1):find("%w") or not label:sub(-1):find("%w") then
      return false
    end
  end
  return true
end

redis.register_function('validate_email', function(keys, args)
  local email = args[1]
  if #email > MAX_ADDRESS then return 0 end
  local at = email:match(".*()@")
  if not at then return 0 end
  if valid_local(email:sub(1, at - 1)) and valid_domain(email:sub(at + 1)) then return 1 end
  return 0
end)
