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

-- dot-atom: atext runs separated by single dots.
local function valid_local(l)
  if #l == 0 or #l > MAX_LOCAL then return false end
  if l:byte(1) == 34 then return valid_quoted(l) end
  return l:byte(1) ~= 46 and l:byte(-1) ~= 46 and not l:find("..", 1, true)
    and not l:find("[^%w!#%$%%&'%*%+%-/=%?%^_`{|}~%.]")
end

local function valid_ipv4(t)
  local a, b, c, d = t:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return false end
  for _, p in ipairs({a, b, c, d}) do
    if #p > 3 or (#p > 1 and p:byte(1) == 48) or tonumber(p) > 255 then return false end
  end
  return true
end

local LONG_LABEL = ("[^%.]"):rep(MAX_LABEL + 1)

local function valid_domain(d)
  if d:byte(1) == 91 then -- [
    return d:byte(-1) == 93 and valid_ipv4(d:sub(2, -2))
  end
  -- Labels of letters, digits and inner dashes; at least two; the last not all digits.
  return #d > 0 and d:find(".", 1, true) ~= nil
    and not d:find("[^%w%-%.]") and not d:find("..", 1, true)
    and not d:find("^[%.%-]") and not d:find("[%.%-]$")
    and not d:find("%.%-") and not d:find("%-%.")
    and not d:find(LONG_LABEL)
    and d:match("[^%.]+$"):find("%D") ~= nil
end

redis.register_function('validate_email', function(keys, args)
  local email = args[1]
  if #email > MAX_ADDRESS then return 0 end
  local at = email:match(".*()@")
  if not at then return 0 end
  if valid_local(email:sub(1, at - 1)) and valid_domain(email:sub(at + 1)) then return 1 end
  return 0
end)
